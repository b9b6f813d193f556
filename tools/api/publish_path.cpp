#include "tools/api/publish_path.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "tools/api/actor_bridge.hpp"

namespace herald::api {

namespace {

/// `{"id","seq"}` (+ `"duplicate":true`) for one publish result.
void append_result_json(std::string& out, const protocol::publish_result& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["seq"] = r.seq;
  if (r.duplicate)
    j["duplicate"] = true;
  out += j.dump();
}

} // namespace

void write_and_reply(caf::actor_system& sys, const actors::writer_actor& writer,
                     runtime::publish_batch batch, const runtime::identity& who,
                     unsigned version, bool keep_alive, http::reply_fn reply) {
  const bool is_array = batch.is_array;
  ask(
      sys, writer, request_timeout,
      [reply, version, keep_alive,
       is_array](std::vector<protocol::publish_result>& results) {
        std::string body;
        if (!is_array && results.size() == 1) {
          append_result_json(body, results.front());
        } else {
          body = R"({"events":[)";
          for (size_t i = 0; i < results.size(); ++i) {
            if (i > 0)
              body += ',';
            append_result_json(body, results[i]);
          }
          body += "]}";
        }
        reply(http::json_response(200, std::move(body), version, keep_alive));
      },
      [reply, version, keep_alive, is_array](caf::error& err) {
        auto e = runtime::describe(err);
        // The store names a lone event's field "/source"; in an array body
        // that event is "/0".
        if (is_array && (e.field == "/source" || e.field == "/id") &&
            (e.code == runtime::errc::source_disabled ||
             e.code == runtime::errc::conflict))
          e.field = "/0" + e.field;
        if (e.code == runtime::errc::internal)
          spdlog::warn("publish failed: {}", caf::to_string(err));
        reply(http::error_response(e, version, keep_alive));
      },
      actors::write_atom_v, std::move(batch.events), who);
}

} // namespace herald::api
