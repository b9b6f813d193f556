#pragma once

// Outbound HTTP for deliveries (DESIGN §4): a few threads (two by default)
// drive libcurl's multi interface (its socket API on epoll) for every
// subscription of the node, so a slow receiver holds a connection, never a
// thread, and connections are kept alive and reused (one connection cache
// per thread). TLS verified, no redirects, connect and total timeouts,
// response bodies kept up to a small cap (the rest is read and dropped: an
// endless body costs the attempt's timeout and no memory).
//
// A batch is a list of requests for one subscription, sent one after
// another (request i+1 only after request i got a 2xx), stopping at the
// first that did not: delivery in order costs no round trip through the
// actor per event. Batches of different submitters run concurrently.
//
// Thread-safety: submit() and stop() from any thread; callbacks run on a
// pool thread and must not block (an actor's anon_send is what they are
// for).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/flow/delivery.hpp"

namespace herald::delivery {

struct http_pool_options {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000}; ///< per request
  size_t max_response_bytes = 4096;               ///< kept of each body
  /// Connections kept open for reuse (CURLMOPT_MAXCONNECTS), per thread.
  size_t max_idle_connections = 256;
  /// Threads, each with its own curl multi handle and connections; a
  /// batch goes to the thread its key picks (a subscription always to the
  /// same one, so its order holds).
  size_t threads = 2;
};

/// One request's answer.
struct http_answer {
  long status = 0;         ///< 0: no answer (see error)
  std::string error;       ///< transport error text when status is 0
  std::string retry_after; ///< the Retry-After header, when sent
  std::string body;        ///< up to max_response_bytes
};

/// What a batch did: `delivered` requests got a 2xx, in order; when fewer
/// than all, `failure` is the answer of the next one (the batch stopped
/// there). `cancelled` when the pool stopped first.
struct batch_result {
  size_t delivered = 0;
  bool failed = false;
  http_answer failure;
  bool cancelled = false;
};

class http_pool {
public:
  /// Starts the pool's thread.
  explicit http_pool(http_pool_options opts = {});
  /// stop(), then joins the thread.
  ~http_pool();
  http_pool(const http_pool&) = delete;
  http_pool& operator=(const http_pool&) = delete;

  /// Queues `requests` (not empty) as one batch; `done` is called once, on
  /// the pool's thread, when the batch ends (or at once with cancelled
  /// after stop()).
  void submit(std::vector<flow::delivery_request> requests,
              std::function<void(batch_result)> done);
  /// The same on the thread `key` picks (key % threads): batches of one
  /// key run one after another on one thread.
  void submit(size_t key, std::vector<flow::delivery_request> requests,
              std::function<void(batch_result)> done);

  /// Ends every transfer in progress (their batches end cancelled) and
  /// refuses new ones. Idempotent.
  void stop();

  /// Requests sent so far (each attempt counts), for metrics.
  uint64_t requests_sent() const noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace herald::delivery
