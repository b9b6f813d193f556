#include "tools/api/compat004_api.hpp"

#include <array>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/seed004_codec.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/publish_path.hpp"
#include "tools/api/query_params.hpp"

namespace herald::api {

using http::check_known_params;
using http::error_response;
using http::json_response;
using runtime::errc;
using verb = boost::beast::http::verb;

namespace {

constexpr std::string_view query_path = "/api/v1/events/query";
constexpr std::string_view create_path = "/internal/create-event";

/// The levels of each 004 query hierarchy, by the names its paths give them
/// (error fields name these).
constexpr std::array<std::string_view, 3> inventory_levels{
    "project", "application", "version"};
constexpr std::array<std::string_view, 3> project_levels{
    "project", "environment", "deployment"};

/// A 004 query path turned into a scope prefix ("" = every event).
struct scope_request {
  std::string scope;
};

/// Parses what follows /api/v1/events/query: nothing, or `inventory` /
/// `project` and up to three percent-encoded levels.
caf::expected<scope_request> parse_query_path(std::string_view path) {
  scope_request out;
  std::string_view rest = path.substr(query_path.size());
  if (rest.empty())
    return out;
  rest.remove_prefix(1); // the '/' owns() saw
  const auto slash = rest.find('/');
  const auto root = rest.substr(0, slash);
  const std::array<std::string_view, 3>* names = nullptr;
  if (root == "inventory")
    names = &inventory_levels;
  else if (root == "project")
    names = &project_levels;
  else
    return runtime::make_api_error(errc::not_found,
                                   "no such endpoint: " + std::string{path});
  std::vector<std::string> levels;
  rest = slash == std::string_view::npos ? std::string_view{}
                                         : rest.substr(slash + 1);
  size_t i = 0;
  // `slash != npos` with an empty rest cannot happen: the router removed
  // the one trailing '/', and "inventory//" leaves an empty level below.
  bool more = slash != std::string_view::npos;
  while (more) {
    if (i == names->size())
      return runtime::make_api_error(errc::not_found,
                                     "no such endpoint: " + std::string{path});
    const auto end = rest.find('/');
    const auto raw = rest.substr(0, end);
    const std::string field{(*names)[i]};
    auto level = runtime::percent_decode(raw, false);
    if (!level || !runtime::is_valid_scope_segment(*level))
      return runtime::make_api_error(
          errc::invalid_scope,
          field + " must be a non-empty scope segment of [A-Za-z0-9._~@:+-]",
          field);
    levels.push_back(std::move(*level));
    ++i;
    more = end != std::string_view::npos;
    if (more)
      rest = rest.substr(end + 1);
  }
  out.scope = runtime::seed004_scope(root, levels);
  // Valid levels can still add up to more than a scope may be (1024 bytes):
  // the same limit as the `scope=` parameter.
  if (!runtime::is_valid_scope(out.scope))
    return runtime::make_api_error(errc::invalid_scope,
                                   "the path's scope is longer than 1024 bytes",
                                   "scope");
  return out;
}

} // namespace

compat004_api::compat004_api(caf::actor_system& sys,
                             actors::node_handles handles,
                             const api_options& opts, const node_state& state)
    : sys_(sys), handles_(std::move(handles)), limits_(opts.publish_limits()),
      state_(state) {}

bool compat004_api::owns(std::string_view path) noexcept {
  if (path == create_path || path == query_path)
    return true;
  return path.size() > query_path.size() && path.starts_with(query_path) &&
         path[query_path.size()] == '/';
}

void compat004_api::add_routes(routes& table) {
  table.add({{verb::get},
             std::string{query_path} + "/{levels...}",
             std::string{role_reader},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               query(ctx, from->who, std::move(reply));
             },
             "reading events needs the reader role"});
  table.add({{verb::post},
             std::string{create_path},
             std::string{role_publisher},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               create_event(ctx, from->who, std::move(reply));
             },
             "publishing needs the publisher role"});
}

void compat004_api::query(http::request_context& ctx,
                          const runtime::identity& who, http::reply_fn reply) {
  const auto& q = ctx.query;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  const std::string_view path = ctx.path;
  if (auto err = check_known_params(q, {"limit", "after", "order"}))
    return reply(error_response(err, version, keep_alive));
  auto scope = parse_query_path(path);
  if (!scope)
    return reply(error_response(scope.error(), version, keep_alive));
  // The same parsing as GET /api/v1/events: only limit/after/order are
  // left after the check above.
  auto parsed = parse_event_query(q);
  if (!parsed)
    return reply(error_response(parsed.error(), version, keep_alive));
  if (!scope->scope.empty())
    parsed->query.scope = std::move(scope->scope);
  auto& query = parsed->query;
  if (cluster_ && !is_local_only(ctx.req) &&
      (!query.after || runtime::is_cluster_cursor(*query.after))) {
    runtime::cluster_cursor from;
    from.descending = query.descending;
    if (query.after) {
      auto c = runtime::decode_cluster_cursor(*query.after, query.descending);
      if (!c)
        return reply(error_response(c.error(), version, keep_alive));
      from = std::move(*c);
    }
    std::vector<std::pair<std::string, std::string>> params;
    if (query.scope)
      params.emplace_back("scope", *query.scope);
    return cluster_->query(
        std::move(query), std::move(from), std::move(params), who,
        ctx.credential, [reply, version, keep_alive](cluster_page page) {
          if (page.error)
            return reply(error_response(page.error, version, keep_alive));
          if (page.refusal)
            return reply(relay_refusal(*page.refusal, version, keep_alive));
          std::string body = "[";
          for (size_t i = 0; i < page.events.size(); ++i) {
            if (i > 0)
              body += ',';
            // 004's object has no node: it is added as the last field.
            auto text = runtime::to_seed004_json_text(page.events[i]);
            text.pop_back();
            body += text + R"(,"node":)" +
                    nlohmann::json(page.events[i].node()).dump() + "}";
          }
          body += ']';
          auto res = json_response(200, std::move(body), version, keep_alive);
          if (!page.next.empty())
            res.set("X-Next-Cursor", page.next);
          if (!page.missing.empty())
            res.set(std::string{partial_header}, join_ids(page.missing));
          reply(std::move(res));
        });
  }
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive](protocol::query_page& page) {
        std::string body = "[";
        for (size_t i = 0; i < page.events.size(); ++i) {
          if (i > 0)
            body += ',';
          body += runtime::to_seed004_json_text(page.events[i]);
        }
        body += ']';
        auto res = json_response(200, std::move(body), version, keep_alive);
        if (!page.next.empty())
          res.set("X-Next-Cursor", page.next);
        reply(std::move(res));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::query_atom_v, std::move(parsed->query), who);
}

void compat004_api::create_event(http::request_context& ctx,
                                 const runtime::identity& who,
                                 http::reply_fn reply) {
  const auto& q = ctx.query;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (state_.draining)
    return reply(error_response(errc::unavailable, "node is shutting down", "",
                                version, keep_alive));
  if (!q.params.empty())
    return reply(error_response(errc::invalid_parameter,
                                "create-event takes no query parameters",
                                q.params.begin()->first, version, keep_alive));
  auto batch = runtime::decode_create_event(ctx.req.body(), limits_,
                                            runtime::now_unix_ns());
  if (!batch)
    return reply(error_response(batch.error(), version, keep_alive));
  write_and_reply(sys_, handles_.writer, std::move(*batch), who, version,
                  keep_alive, reply);
}

} // namespace herald::api
