#pragma once

// What the resources of definitions (workflows, triggers, topics,
// subscriptions) share: their id rule, the `{id}` of a path, and a JSON
// body read with DESIGN §7's error on failure.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "tools/api/types.hpp"
#include "tools/http/route_table.hpp"

namespace herald::api {

/// Definition ids: 1-128 of [A-Za-z0-9_.-], not "." or ".." (they are file
/// names in the workflows dir and parts of definition keys).
bool definition_id_ok(std::string_view id);

/// The path's `{id}` when it is a valid id; otherwise replies `code`
/// (invalid_id naming the rule, or not_found "no such <kind>") with field
/// "id" and returns nullopt.
std::optional<std::string> definition_id(http::request_context& ctx,
                                         std::string_view kind,
                                         runtime::errc code,
                                         const http::reply_fn& reply);

/// The body as JSON (empty: `empty_as`), or nullopt after replying 400
/// invalid_json.
std::optional<nlohmann::json> json_body(const http::http_request& req,
                                        const http::reply_fn& reply,
                                        nlohmann::json empty_as);

/// Routes every method of `pattern` to `api->*fn` for any authenticated
/// caller (the handler checks roles and methods itself).
template <class Api>
void add_caller_route(routes& table, Api* api, std::string pattern,
                      void (Api::*fn)(http::request_context&,
                                      const runtime::identity&,
                                      http::reply_fn)) {
  table.add({{},
             std::move(pattern),
             std::string{http::any_caller},
             [api, fn](http::request_context& ctx, const caller* from,
                       http::reply_fn reply) {
               (api->*fn)(ctx, from->who, std::move(reply));
             }});
}

} // namespace herald::api
