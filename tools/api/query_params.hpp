#pragma once

// Turns the query parameters of `GET /api/v1/events`,
// `GET /api/v1/events/stream` and `GET /api/v1/scopes` into validated
// protocol queries, stream specs and scope-tree requests (DESIGN §3/§4/§7).
// Every error is `invalid_*` with field = the parameter name. Pure functions.

#include <caf/expected.hpp>

#include "actors/protocol/messages.hpp"
#include "actors/stream_actor.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {

/// Max `limit` of one query page.
inline constexpr size_t max_query_limit = 1000;

/// A parsed `GET /api/v1/events`: the query and the output format.
struct event_query_request {
  protocol::event_query query;
  bool cloudevents = false; ///< format=cloudevents
};

/// `text` as an integer in [min, max] into `out`; invalid_parameter naming
/// `field` otherwise (a query parameter such as `limit`).
caf::error parse_u64(const std::string& text, std::string_view field,
                     uint64_t min, uint64_t max, uint64_t& out);

caf::expected<event_query_request>
parse_event_query(const http::query_string& q);

caf::expected<actors::stream_spec>
parse_stream_spec(const http::query_string& q);

/// Max and default `limit` of one scope-tree page.
inline constexpr uint64_t max_scope_limit = 1000;
inline constexpr uint64_t default_scope_limit = 100;

/// A parsed `GET /api/v1/scopes`: one level of the scope tree.
struct scope_level_request {
  std::string parent; ///< a valid scope without trailing '/'; "" = roots
  std::string after;  ///< a scope one segment below parent; "" = start
  uint64_t limit = default_scope_limit;
};

/// Errors: invalid_scope ("parent"), invalid_parameter ("after", "limit",
/// or an unknown parameter's name).
caf::expected<scope_level_request>
parse_scope_level_request(const http::query_string& q);

} // namespace herald::api
