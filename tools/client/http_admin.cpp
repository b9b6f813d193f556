#include "tools/client/http_admin.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/errc.hpp"

namespace herald::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

http_admin::http_admin(std::string host, uint16_t port, std::string token,
                       std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), token_(std::move(token)),
      timeout_(timeout) {}

caf::expected<http_reply> http_admin::request(const std::string& method,
                                              const std::string& target,
                                              const std::string& body) const {
  auto fail = [&](const beast::error_code& ec) {
    return runtime::make_api_error(
        runtime::errc::unavailable,
        "no HTTP answer from " + host_ + ":" + std::to_string(port_) + " (" +
            ec.message() + "); check --http HOST:PORT");
  };
  net::io_context ioc;
  net::ip::tcp::resolver resolver{ioc};
  beast::tcp_stream stream{ioc};
  beast::error_code ec;
  auto found = resolver.resolve(host_, std::to_string(port_), ec);
  if (ec)
    return fail(ec);
  stream.expires_after(timeout_);
  stream.connect(found, ec);
  if (ec)
    return fail(ec);
  http::request<http::string_body> req{http::string_to_verb(method), target,
                                       11};
  req.set(http::field::host, host_);
  req.set(http::field::user_agent, "herald-client");
  if (!token_.empty())
    req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  stream.expires_after(timeout_);
  http::write(stream, req, ec);
  if (ec)
    return fail(ec);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  stream.expires_after(timeout_);
  http::read(stream, buf, parser, ec);
  if (ec)
    return fail(ec);
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  auto res = parser.release();
  return http_reply{static_cast<int>(res.result_int()), std::move(res.body())};
}

} // namespace herald::client
