#include "tools/api/sources_api.hpp"

#include <algorithm>

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

constexpr std::string_view sources_path = "/api/v1/sources";
/// The source of Herald's own events: it cannot be disabled (DESIGN §7).
constexpr std::string_view herald_source = "herald";

json source_json(const protocol::source_info& s) {
  json j{{"id", s.id}, {"enabled", s.enabled}, {"events", s.events}};
  if (s.last_seq > 0) {
    j["last_seq"] = s.last_seq;
    j["last_accept_time"] = runtime::format_rfc3339(s.last_accept_ns);
  }
  return j;
}

/// Every source the store knows plus Herald's own (always listed), by id.
std::vector<protocol::source_info>
with_herald(std::vector<protocol::source_info> list) {
  auto at = std::lower_bound(list.begin(), list.end(), herald_source,
                             [](const protocol::source_info& s,
                                std::string_view id) { return s.id < id; });
  if (at == list.end() || at->id != herald_source)
    list.insert(at, protocol::source_info{std::string{herald_source}});
  return list;
}

std::optional<protocol::source_info>
find_in(const std::vector<protocol::source_info>& list, std::string_view id) {
  for (const auto& s : list)
    if (s.id == id)
      return s;
  return std::nullopt;
}

} // namespace

sources_api::sources_api(admin_context& admin) : admin_(admin) {}

void sources_api::add_routes(routes& table) {
  // The role depends on the method and comes after 404/405 here: the
  // handlers check it.
  table.add({{},
             std::string{sources_path},
             std::string{http::any_caller},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               list(ctx, from->who, std::move(reply));
             }});
  table.add({{},
             std::string{sources_path} + "/{id}",
             std::string{http::any_caller},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               item(ctx, from->who, std::move(reply));
             }});
}

void sources_api::list(http::request_context& ctx, const runtime::identity& who,
                       http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (req.method() != verb::get)
    return reply(wrong_method(req, "/api/v1/sources takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  admin_.sources(
      [reply, version, keep_alive](std::vector<protocol::source_info> all) {
        json list = json::array();
        for (const auto& s : with_herald(std::move(all)))
          list.push_back(source_json(s));
        reply(json_response(200, json{{"sources", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void sources_api::item(http::request_context& ctx, const runtime::identity& who,
                       http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  auto id = ctx.params.get("id");
  if (!id || id->size() > 256)
    return reply(error_response(errc::not_found, "no such source", "id",
                                version, keep_alive));
  if (method == verb::get) {
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    return admin_.sources(
        [id = *id, reply, version,
         keep_alive](std::vector<protocol::source_info> all) {
          auto s = find_in(with_herald(std::move(all)), id);
          if (!s)
            return reply(error_response(errc::not_found,
                                        "no such source: " + id, "id", version,
                                        keep_alive));
          reply(
              json_response(200, source_json(*s).dump(), version, keep_alive));
        },
        version, keep_alive, reply);
  }
  if (method != verb::put)
    return reply(wrong_method(req, "a source takes GET or PUT"));
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  auto body = object_body(req, {"enabled"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  if (!body->contains("enabled") || !(*body)["enabled"].is_boolean())
    return reply(error_response(errc::missing_field,
                                "enabled (true or false) is required",
                                "/enabled", version, keep_alive));
  const bool enabled = (*body)["enabled"].get<bool>();
  if (*id == herald_source && !enabled)
    return reply(error_response(errc::conflict,
                                "Herald's own source cannot be disabled",
                                "/enabled", version, keep_alive));
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "source.updated", {{"id", *id}, {"enabled", enabled}, {"by", who.name}},
      runtime::now_unix_ns()));
  admin_.define(
      protocol::definition_change{
          "source/" + *id, json{{"enabled", enabled}}.dump(), std::nullopt},
      std::move(evs), version, keep_alive, reply,
      [this, id = *id, reply, version, keep_alive](uint64_t) {
        admin_.sources(
            [id, reply, version,
             keep_alive](std::vector<protocol::source_info> all) {
              auto s = find_in(with_herald(std::move(all)), id);
              reply(json_response(
                  200,
                  source_json(s.value_or(protocol::source_info{id})).dump(),
                  version, keep_alive));
            },
            version, keep_alive, reply);
      });
}

} // namespace herald::api
