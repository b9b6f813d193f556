#include "tools/api/nodes_api.hpp"

#include "tools/api/actor_bridge.hpp"
#include "tools/api/admin_context.hpp"

namespace herald::api {

namespace {

using verb = boost::beast::http::verb;

} // namespace

void nodes_api::add_routes(routes& table) {
  table.add(
      {{verb::get, verb::head},
       "/healthz",
       std::string{http::public_route},
       [](http::request_context& ctx, const caller*, http::reply_fn reply) {
         reply(http::json_response(200, R"({"status":"ok"})", ctx.version(),
                                   ctx.keep_alive()));
       }});
  table.add(
      {{verb::get, verb::head},
       "/readyz",
       std::string{http::public_route},
       [this](http::request_context& ctx, const caller*, http::reply_fn reply) {
         if (state_.ready)
           return reply(http::json_response(200, R"({"status":"ready"})",
                                            ctx.version(), ctx.keep_alive()));
         reply(http::error_response(runtime::errc::unavailable,
                                    "node is not ready", "", ctx.version(),
                                    ctx.keep_alive()));
       }});
  table.add({{verb::get},
             "/api/v1/nodes",
             std::string{http::any_caller},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               const auto version = ctx.version();
               const bool keep_alive = ctx.keep_alive();
               if (auto err = need(from->who, role_reader))
                 return reply(http::error_response(err, version, keep_alive));
               ask_or_reply(
                   sys_, tracker_, "the node tracker is not running",
                   std::chrono::seconds{10}, version, keep_alive, reply,
                   [reply, version, keep_alive](std::string& body) {
                     reply(http::json_response(200, body, version, keep_alive));
                   },
                   cluster::members_atom_v);
             }});
}

} // namespace herald::api
