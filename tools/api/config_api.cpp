#include "tools/api/config_api.hpp"

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;
using field = boost::beast::http::field;

constexpr std::string_view config_path = "/api/v1/config";

bool config_key_ok(std::string_view key) {
  if (key.empty() || key.size() > 256)
    return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-' && c != ':')
      return false;
  return true;
}

} // namespace

config_api::config_api(admin_context& admin) : admin_(admin) {}

void config_api::add_routes(routes& table) {
  // Admin only, whatever the method: 403 comes before 405 here.
  table.add({{},
             std::string{config_path},
             std::string{role_admin},
             [this](http::request_context& ctx, const caller*,
                    http::reply_fn reply) { list(ctx, std::move(reply)); }});
  table.add({{},
             std::string{config_path} + "/{key}",
             std::string{role_admin},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               item(ctx, from->who, std::move(reply));
             }});
}

void config_api::list(http::request_context& ctx, http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (req.method() != verb::get)
    return reply(wrong_method(req, "/api/v1/config takes GET"));
  admin_.list(
      "config/",
      [reply, version, keep_alive](std::vector<protocol::definition> defs) {
        json list = json::array();
        for (const auto& d : defs)
          list.push_back(
              json{{"key", d.key.substr(7)}, {"version", d.version}});
        reply(json_response(200, json{{"configs", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void config_api::item(http::request_context& ctx, const runtime::identity& who,
                      http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  auto key = ctx.params.get("key");
  if (!key || !config_key_ok(*key))
    return reply(error_response(errc::invalid_parameter,
                                "a config key is 1-256 characters of "
                                "[A-Za-z0-9._:-]",
                                "key", version, keep_alive));
  const auto def_key = "config/" + *key;
  if (method == verb::get) {
    return admin_.read(
        def_key,
        [key = *key, reply, version,
         keep_alive](std::optional<protocol::definition> d) {
          if (!d)
            return reply(error_response(errc::not_found, "no such key: " + key,
                                        "key", version, keep_alive));
          std::string body = R"({"key":)" + json(key).dump() + R"(,"value":)" +
                             d->value + R"(,"version":)" +
                             std::to_string(d->version) + "}";
          reply(with_etag(
              json_response(200, std::move(body), version, keep_alive),
              d->version));
        },
        version, keep_alive, reply);
  }
  if (method != verb::put && method != verb::delete_)
    return reply(wrong_method(req, "a config key takes GET, PUT or DELETE"));
  auto expect = http::parse_precondition(req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  // A refused If-None-Match names that header, not If-Match.
  std::string precondition_header = req.find(field::if_none_match) != req.end()
                                        ? "If-None-Match"
                                        : "If-Match";
  // The event names the version the change makes, so the change is made
  // against the version read here: without If-Match a concurrent change of
  // the same key makes this one a 409 conflict instead of a silent overwrite.
  admin_.read(
      def_key,
      [this, key = *key, def_key, expect = *expect,
       is_delete = method == verb::delete_, body = req.body(),
       precondition_header, who_name = who.name, reply, version,
       keep_alive](std::optional<protocol::definition> current) mutable {
        const uint64_t stored = current ? current->version : uint64_t{0};
        if (expect == http::any_version_precondition) {
          if (stored == 0)
            return reply(error_response(errc::conflict, key + " does not exist",
                                        "If-Match", version, keep_alive));
          expect = stored;
        }
        const uint64_t base = expect.value_or(stored);
        if (is_delete) {
          std::vector<v1::Event> evs;
          evs.push_back(runtime::make_system_event(
              "config-deleted",
              {{"id", key}, {"version", base}, {"by", who_name}},
              runtime::now_unix_ns()));
          if (!expect.has_value() && !current)
            return reply(error_response(errc::not_found, "no such key: " + key,
                                        "key", version, keep_alive));
          return admin_.define(
              protocol::definition_change{def_key, std::nullopt, base},
              std::move(evs), version, keep_alive, reply,
              [reply, version, keep_alive](uint64_t) {
                reply(no_content(version, keep_alive));
              },
              precondition_header);
        }
        auto value = json::parse(body, nullptr, false);
        if (value.is_discarded())
          return reply(error_response(errc::invalid_json,
                                      "a config value is a JSON document", "",
                                      version, keep_alive));
        auto text = value.dump();
        std::vector<v1::Event> evs;
        evs.push_back(runtime::make_system_event(
            "config-updated",
            {{"id", key}, {"version", base + 1}, {"by", who_name}},
            runtime::now_unix_ns()));
        admin_.define(
            protocol::definition_change{def_key, text, base}, std::move(evs),
            version, keep_alive, reply,
            [key, text, reply, version, keep_alive](uint64_t v) {
              std::string out = R"({"key":)" + json(key).dump() +
                                R"(,"value":)" + text + R"(,"version":)" +
                                std::to_string(v) + "}";
              reply(with_etag(json_response(v == 1 ? 201 : 200, std::move(out),
                                            version, keep_alive),
                              v));
            },
            precondition_header);
      },
      version, keep_alive, reply);
}

} // namespace herald::api
