#include "tools/heraldd/compat_api.hpp"

#include <array>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/seed004_codec.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/heraldd/actor_bridge.hpp"
#include "tools/heraldd/publish_path.hpp"
#include "tools/heraldd/query_params.hpp"

namespace herald::heraldd {

namespace http = boost::beast::http;
using runtime::errc;

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

compat_api::compat_api(caf::actor_system& sys, actors::node_handles handles,
                       const daemon_config& cfg)
    : sys_(sys), handles_(std::move(handles)) {
  limits_.max_batch = cfg.max_batch;
  limits_.max_event_bytes = cfg.max_event_bytes;
}

bool compat_api::owns(std::string_view path) noexcept {
  if (path == create_path || path == query_path)
    return true;
  return path.size() > query_path.size() && path.starts_with(query_path) &&
         path[query_path.size()] == '/';
}

void compat_api::handle(const http_request& req, std::string_view path,
                        const query_string& q, bool draining,
                        const runtime::identity& who, reply_fn& reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  const bool is_create = path == create_path;
  const bool allowed =
      is_create ? method == http::verb::post : method == http::verb::get;
  if (!allowed)
    return reply(error_response(errc::method_not_allowed,
                                std::string{req.method_string()} +
                                    " is not allowed on " + std::string{path},
                                "", version, keep_alive));
  if (!who.may(is_create ? "publisher" : "reader"))
    return reply(error_response(errc::forbidden,
                                is_create
                                    ? "publishing needs the publisher role"
                                    : "reading events needs the reader role",
                                "", version, keep_alive));
  if (is_create)
    return create_event(req, q, draining, who, reply);
  query(path, q, version, keep_alive, who, reply);
}

void compat_api::query(std::string_view path, const query_string& q,
                       unsigned version, bool keep_alive,
                       const runtime::identity& who, reply_fn& reply) {
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

void compat_api::create_event(const http_request& req, const query_string& q,
                              bool draining, const runtime::identity& who,
                              reply_fn& reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (draining)
    return reply(error_response(errc::unavailable, "node is shutting down", "",
                                version, keep_alive));
  if (!q.params.empty())
    return reply(error_response(errc::invalid_parameter,
                                "create-event takes no query parameters",
                                q.params.begin()->first, version, keep_alive));
  auto batch =
      runtime::decode_create_event(req.body(), limits_, runtime::now_unix_ns());
  if (!batch)
    return reply(error_response(batch.error(), version, keep_alive));
  write_and_reply(sys_, handles_.writer, std::move(*batch), who, version,
                  keep_alive, reply);
}

} // namespace herald::heraldd
