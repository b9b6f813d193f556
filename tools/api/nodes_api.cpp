#include "tools/api/nodes_api.hpp"

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
}

} // namespace herald::api
