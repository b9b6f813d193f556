#pragma once

// Outbound HTTP GETs with a deadline, on a thread of their own: the
// requests a node's cluster queries send to the other nodes (DESIGN §6,
// tools/api/cluster_reads). No Herald rules: a target, headers and a
// deadline in, a status and a body (or an error) out.
//
// Every get() is asynchronous (Boost.Beast on the fetcher's io_context):
// any number run at once on the one thread, none blocks the caller. Each
// opens its own connection (loopback or LAN peers; no pooling) and is
// bounded by its deadline from resolve to the last byte of the reply.
// Thread-safety: get() may be called from any thread. The callback runs
// on the fetcher's thread, exactly once — with the reply, or with
// runtime::errc::unavailable (refused, reset, deadline passed, reply over
// `max_reply_bytes`, fetcher destroyed) — and must not block.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <caf/expected.hpp>

namespace herald::http {

class http_fetcher {
public:
  /// One answer: the status and the body as sent.
  struct reply {
    unsigned status = 0;
    std::string body;
  };
  using callback = std::function<void(caf::expected<reply>)>;
  using headers = std::vector<std::pair<std::string, std::string>>;

  /// Starts the thread. A reply body over `max_reply_bytes` is an error.
  explicit http_fetcher(size_t max_reply_bytes = 256u << 20);
  /// Cancels what is in flight (each callback gets its error) and joins
  /// the thread.
  ~http_fetcher();
  http_fetcher(const http_fetcher&) = delete;
  http_fetcher& operator=(const http_fetcher&) = delete;

  /// `GET target` from `host_port` ("host:port") with `hdrs`, answered
  /// through `done` within `deadline`.
  void get(std::string host_port, std::string target, headers hdrs,
           std::chrono::milliseconds deadline, callback done);

private:
  struct call;

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  size_t max_reply_bytes_;
  /// Calls in flight, by identity; touched only on the thread.
  std::vector<std::weak_ptr<call>> calls_;
  std::thread thread_;
};

} // namespace herald::http
