#include "tools/api/console_api.hpp"

#include <boost/beast/http/field.hpp>

namespace herald::api {

namespace {

using verb = boost::beast::http::verb;
using field = boost::beast::http::field;

http::http_response file_response(const http::static_files::file& f,
                                  unsigned version, bool keep_alive) {
  http::http_response res{boost::beast::http::status::ok, version};
  res.set(field::content_type, f.content_type);
  res.set("Content-Security-Policy", console_api::content_security_policy);
  res.set(field::x_frame_options, "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set(field::cache_control, "no-cache");
  res.keep_alive(keep_alive);
  res.body() = f.body;
  res.prepare_payload();
  return res;
}

} // namespace

void console_api::add_routes(routes& table) {
  table.add(
      {{verb::get, verb::head},
       "/",
       std::string{http::public_route},
       [](http::request_context& ctx, const caller*, http::reply_fn reply) {
         http::http_response res{boost::beast::http::status::found,
                                 ctx.version()};
         res.set(field::location, "/console/");
         res.keep_alive(ctx.keep_alive());
         res.prepare_payload();
         reply(std::move(res));
       }});
  auto serve = [this](http::request_context& ctx, const caller*,
                      http::reply_fn reply) {
    std::string path;
    if (ctx.params.has("path")) {
      auto decoded = ctx.params.get("path");
      if (!decoded)
        return reply(ctx.error(runtime::make_api_error(
            runtime::errc::not_found, "no such console file", "")));
      path = std::move(*decoded);
      if (!path.empty() && path.front() == '/')
        path.erase(0, 1);
    }
    if (!files_)
      return reply(ctx.error(runtime::make_api_error(
          runtime::errc::not_found,
          "the console is not installed on this node (--console-dir)", "")));
    const auto* f = files_->find(path);
    if (f == nullptr)
      return reply(ctx.error(runtime::make_api_error(
          runtime::errc::not_found, "no such console file", "")));
    reply(file_response(*f, ctx.version(), ctx.keep_alive()));
  };
  // The rest parameter matches "/console" itself too (nothing after it).
  table.add({{verb::get, verb::head},
             "/console/{path...}",
             std::string{http::public_route},
             serve});
}

} // namespace herald::api
