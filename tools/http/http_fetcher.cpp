#include "tools/http/http_fetcher.hpp"

#include <algorithm>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/errc.hpp"

namespace herald::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

/// One GET in flight. Lives as long as a handler of it is pending; every
/// member is touched only on the fetcher's thread.
struct http_fetcher::call : std::enable_shared_from_this<call> {
  explicit call(net::io_context& ioc)
      : resolver(ioc), stream(ioc), timer(ioc) {}

  tcp::resolver resolver;
  beast::tcp_stream stream;
  net::steady_timer timer;
  beast::http::request<beast::http::empty_body> req;
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  std::string where;
  callback done;

  /// Answers once; stops whatever is still pending.
  void finish(caf::expected<reply> result) {
    if (!done)
      return;
    auto cb = std::move(done);
    done = nullptr;
    timer.cancel();
    resolver.cancel();
    beast::error_code ignored;
    stream.socket().close(ignored);
    cb(std::move(result));
  }

  void fail(const std::string& why) {
    finish(runtime::make_api_error(runtime::errc::unavailable,
                                   "no answer from " + where + ": " + why));
  }

  void start(const std::string& host, const std::string& port,
             std::chrono::milliseconds deadline) {
    auto self = shared_from_this();
    timer.expires_after(deadline);
    timer.async_wait([self](beast::error_code ec) {
      if (!ec)
        self->fail("the deadline passed");
    });
    resolver.async_resolve(
        host, port,
        [self](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec)
            return self->fail(ec.message());
          self->stream.async_connect(
              r, [self](beast::error_code ec, const tcp::endpoint&) {
                if (ec)
                  return self->fail(ec.message());
                beast::http::async_write(self->stream, self->req,
                                         [self](beast::error_code ec, size_t) {
                                           if (ec)
                                             return self->fail(ec.message());
                                           self->read();
                                         });
              });
        });
  }

  void read() {
    auto self = shared_from_this();
    beast::http::async_read(
        stream, buffer, parser, [self](beast::error_code ec, size_t) {
          if (ec)
            return self->fail(ec.message());
          auto res = self->parser.release();
          self->finish(reply{res.result_int(), std::move(res.body())});
        });
  }
};

http_fetcher::http_fetcher(size_t max_reply_bytes)
    : work_(net::make_work_guard(ioc_)), max_reply_bytes_(max_reply_bytes),
      thread_([this] { ioc_.run(); }) {}

http_fetcher::~http_fetcher() {
  net::post(ioc_, [this] {
    for (auto& w : calls_)
      if (auto c = w.lock())
        c->fail("the node is stopping");
    calls_.clear();
  });
  work_.reset();
  thread_.join();
}

void http_fetcher::get(std::string host_port, std::string target, headers hdrs,
                       std::chrono::milliseconds deadline, callback done) {
  net::post(ioc_, [this, host_port = std::move(host_port),
                   target = std::move(target), hdrs = std::move(hdrs), deadline,
                   done = std::move(done)]() mutable {
    auto c = std::make_shared<call>(ioc_);
    c->where = host_port;
    c->done = std::move(done);
    const auto colon = host_port.rfind(':');
    if (colon == std::string::npos || colon == 0 ||
        colon + 1 == host_port.size())
      return c->fail("not a host:port address");
    std::string host = host_port.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2); // [::1]:80
    c->req = {beast::http::verb::get, target, 11};
    c->req.set(beast::http::field::host, host_port);
    c->req.set(beast::http::field::user_agent, "heraldd");
    for (auto& [name, value] : hdrs)
      c->req.set(name, value);
    c->parser.body_limit(max_reply_bytes_);
    c->parser.header_limit(64 * 1024);
    std::erase_if(calls_, [](const auto& w) { return w.expired(); });
    calls_.push_back(c);
    c->start(host, host_port.substr(colon + 1), deadline);
  });
}

} // namespace herald::http
