#include "tools/api/admin_context.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/publish_path.hpp"

namespace herald::api {

namespace {

using http::error_response;
using json = nlohmann::json;
using runtime::errc;

/// Password hashes queued or running at most; more get 503.
constexpr int max_hashing = 32;

} // namespace

admin_context::admin_context(caf::actor_system& sys,
                             actors::node_handles handles,
                             std::shared_ptr<auth_service> auth,
                             stream_registry& streams)
    : sys_(sys), handles_(std::move(handles)), auth_(std::move(auth)),
      streams_(streams) {}

admin_context::~admin_context() {
  join();
}

bool admin_context::offload(std::function<void()> work, unsigned version,
                            bool keep_alive, const http::reply_fn& reply) {
  if (hashing_.fetch_add(1) >= max_hashing) {
    hashing_.fetch_sub(1);
    reply(error_response(errc::unavailable,
                         "too many password checks in progress", "", version,
                         keep_alive));
    return false;
  }
  boost::asio::post(hash_pool_, [this, work = std::move(work)] {
    work();
    hashing_.fetch_sub(1);
  });
  return true;
}

void admin_context::record(v1::Event ev, std::function<void(caf::error)> then) {
  std::vector<v1::Event> evs;
  evs.push_back(std::move(ev));
  ask(
      sys_, handles_.writer, request_timeout,
      [then](std::vector<protocol::publish_result>&) { then(caf::error{}); },
      [then](caf::error& err) {
        spdlog::warn("could not store an auth event: {}", caf::to_string(err));
        then(err);
      },
      actors::write_atom_v, std::move(evs));
}

void admin_context::define(protocol::definition_change change,
                           std::vector<v1::Event> events, unsigned version,
                           bool keep_alive, http::reply_fn reply,
                           std::function<void(uint64_t)> on_ok,
                           std::string precondition_header,
                           std::function<void()> on_failure) {
  ask(
      sys_, handles_.definitions, request_timeout,
      [on_ok](protocol::definition_result& res) { on_ok(res.version); },
      [reply, version, keep_alive, on_failure = std::move(on_failure),
       precondition_header = std::move(precondition_header)](caf::error& err) {
        if (on_failure)
          on_failure();
        auto e = runtime::describe(err);
        if (e.code == errc::conflict && e.field == "If-Match")
          e.field = precondition_header;
        reply(error_response(e, version, keep_alive));
      },
      actors::define_atom_v, std::move(change), std::move(events));
}

void admin_context::read(
    std::string key,
    std::function<void(std::optional<protocol::definition>)> on_ok,
    unsigned version, bool keep_alive, http::reply_fn reply) {
  ask(
      sys_, handles_.definitions, request_timeout,
      [on_ok](protocol::definition& d) { on_ok(std::move(d)); },
      [on_ok, reply, version, keep_alive](caf::error& err) {
        if (runtime::describe(err).code == errc::not_found)
          return on_ok(std::nullopt);
        reply(error_response(err, version, keep_alive));
      },
      actors::get_atom_v, std::move(key));
}

void admin_context::list(
    std::string prefix,
    std::function<void(std::vector<protocol::definition>)> on_ok,
    unsigned version, bool keep_alive, http::reply_fn reply) {
  ask(
      sys_, handles_.definitions, request_timeout,
      [on_ok](std::vector<protocol::definition>& ds) { on_ok(std::move(ds)); },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::list_atom_v, std::move(prefix));
}

void admin_context::sources(
    std::function<void(std::vector<protocol::source_info>)> on_ok,
    unsigned version, bool keep_alive, http::reply_fn reply) {
  ask(
      sys_, handles_.definitions, request_timeout,
      [on_ok](std::vector<protocol::source_info>& list) {
        on_ok(std::move(list));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::sources_atom_v);
}

caf::expected<json>
object_body(const http::http_request& req,
            std::initializer_list<std::string_view> allowed) {
  auto j = json::parse(req.body(), nullptr, false);
  if (j.is_discarded())
    return runtime::make_api_error(errc::invalid_json,
                                   "the body is not valid JSON", "");
  if (!j.is_object())
    return runtime::make_api_error(errc::invalid_field,
                                   "the body must be a JSON object", "");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      return runtime::make_api_error(
          errc::unknown_field, "unknown field " + it.key(),
          runtime::json_pointer_append("", it.key()));
  return j;
}

caf::error need(const runtime::identity& who, std::string_view role) {
  if (who.may(role))
    return caf::error{};
  return runtime::make_api_error(
      errc::forbidden, "this needs the " + std::string{role} + " role");
}

http::http_response wrong_method(const http::http_request& req,
                                 std::string what) {
  return error_response(errc::method_not_allowed, std::move(what), "",
                        req.version(), req.keep_alive());
}

http::http_response with_etag(http::http_response res, uint64_t version) {
  res.set(boost::beast::http::field::etag,
          "\"" + std::to_string(version) + "\"");
  return res;
}

http::http_response no_content(unsigned version, bool keep_alive) {
  http::http_response res{boost::beast::http::status::no_content, version};
  res.keep_alive(keep_alive);
  return res;
}

v1::Event audit_event(std::string name, const json& data) {
  auto ev =
      runtime::make_system_event(std::move(name), data, runtime::now_unix_ns());
  ev.add_allowed_groups("admin");
  return ev;
}

} // namespace herald::api
