#include "tools/http/http_receiver.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "tools/http/http_server.hpp"

namespace herald::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

std::string lower(std::string s) {
  std::string out = std::move(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

received_request to_received(const http_request& req) {
  received_request out;
  out.method = std::string{req.method_string()};
  out.target = std::string{req.target()};
  for (const auto& field : req) {
    auto [it, fresh] = out.headers.emplace(
        lower(std::string{field.name_string()}), std::string{field.value()});
    if (!fresh) // a repeated header: its values as one list (RFC 9110 5.3)
      it->second += ", " + std::string{field.value()};
  }
  out.body = req.body();
  return out;
}

http_response to_response(const receiver_answer& a, const http_request& req) {
  http_response res{static_cast<bhttp::status>(a.status), req.version()};
  for (const auto& [name, value] : a.headers)
    res.insert(name, value);
  res.body() = a.body;
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

} // namespace

struct http_receiver::impl : http_router {
  // Declared first, destroyed last: the server's sessions refer to `this`
  // (the router) until the io_context destroys them.
  mutable std::mutex mu;
  std::shared_ptr<const responder> answer; ///< guarded by mu
  std::vector<received_request> recorded;  ///< guarded by mu
  std::vector<reply_fn> hanging;           ///< guarded by mu
  size_t received = 0;                     ///< guarded by mu
  bool record = true;                      ///< guarded by mu

  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  net::executor_work_guard<net::io_context::executor_type> work =
      net::make_work_guard(*ioc);
  std::shared_ptr<http_server> server;
  uint16_t port = 0;
  std::thread thread;

  void handle(http_request req, const std::string&, reply_fn reply) override {
    std::shared_ptr<const responder> r;
    {
      std::lock_guard lock{mu};
      r = answer;
    }
    received_request got = to_received(req);
    receiver_answer a = r ? (*r)(got) : receiver_answer{};
    {
      // Counted and recorded before the answer leaves: a client that got
      // its answer finds its request here.
      std::lock_guard lock{mu};
      ++received;
      if (record)
        recorded.push_back(std::move(got));
      if (a.hang) {
        hanging.push_back(std::move(reply));
        return;
      }
    }
    reply(to_response(a, req));
  }

  void upgrade(http_request, boost::beast::tcp_stream stream,
               const std::string&) override {
    boost::beast::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }

  void shutdown() {
    work.reset();
    ioc->stop();
    if (thread.joinable())
      thread.join();
    // Nothing runs now. A hanging request's reply owns its session: answer
    // it (the write is queued on the stopped io_context and never runs) so
    // the server does not log it as dropped, then let it go.
    std::vector<reply_fn> drop;
    {
      std::lock_guard lock{mu};
      drop.swap(hanging);
    }
    for (auto& reply : drop)
      reply(http_response{bhttp::status::service_unavailable, 11});
    drop.clear();
    server.reset();
    // Destroys every session still open (idle keep-alive connections, the
    // hanging ones) and, with its last pending accept, the server.
    ioc.reset();
  }
};

http_receiver::http_receiver() : impl_(std::make_unique<impl>()) {
  http_limits limits;
  limits.max_body_bytes = 16 * 1024 * 1024;
  impl_->server = std::make_shared<http_server>(*impl_->ioc, *impl_, limits);
  auto bound = impl_->server->listen(endpoint{"127.0.0.1", 0});
  if (!bound) {
    impl_->shutdown();
    throw std::runtime_error{"http_receiver: " +
                             runtime::describe(bound.error()).message};
  }
  impl_->port = *bound;
  impl_->thread = std::thread{[ioc = impl_->ioc.get()] { ioc->run(); }};
}

http_receiver::~http_receiver() {
  impl_->shutdown();
}

uint16_t http_receiver::port() const noexcept {
  return impl_->port;
}

std::string http_receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

void http_receiver::respond_with(responder r) {
  auto shared = std::make_shared<const responder>(std::move(r));
  std::lock_guard lock{impl_->mu};
  impl_->answer = std::move(shared);
}

void http_receiver::respond_status(int status) {
  respond_with([status](const received_request&) {
    receiver_answer a;
    a.status = status;
    return a;
  });
}

std::vector<received_request> http_receiver::requests() const {
  std::lock_guard lock{impl_->mu};
  return impl_->recorded;
}

size_t http_receiver::count() const {
  std::lock_guard lock{impl_->mu};
  return impl_->received;
}

size_t http_receiver::connections() const {
  return impl_->server->accepted_connections();
}

void http_receiver::clear() {
  std::lock_guard lock{impl_->mu};
  impl_->recorded.clear();
  impl_->received = 0;
}

void http_receiver::set_record(bool on) {
  std::lock_guard lock{impl_->mu};
  impl_->record = on;
}

} // namespace herald::http
