#pragma once

// A small HTTP receiver on loopback for delivery tests and herald-bench: a
// real server (http_server on its own io_context thread, keep-alive) that
// records what it is sent and answers as the test tells it to.
//
// Thread-safety: every member may be called from any thread while the
// receiver runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herald::http {

/// One request as received.
struct received_request {
  std::string method;
  std::string target;
  /// Header names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
};

/// How the receiver answers one request.
struct receiver_answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Never answer (the request hangs until the client gives up).
  bool hang = false;
};

class http_receiver {
public:
  using responder = std::function<receiver_answer(const received_request&)>;

  /// Binds 127.0.0.1:0 and starts its thread; answers 200 until told
  /// otherwise. Throws std::runtime_error when it cannot bind.
  http_receiver();
  /// Stops the server and joins its thread (hanging requests are dropped).
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port>" + `path`.
  std::string url(const std::string& path = "/") const;

  /// Decides every later answer (called on the receiver's thread; it
  /// must not block). Requests answered with a non-2xx are recorded too.
  void respond_with(responder r);
  /// Shorthand: answer every request with `status`.
  void respond_status(int status);

  /// Every request received so far, in arrival order.
  std::vector<received_request> requests() const;
  /// Requests received so far.
  size_t count() const;
  /// Connections accepted so far (keep-alive: a client that reuses its
  /// connection opens one for many requests).
  size_t connections() const;
  /// Forgets the recorded requests (the count restarts at 0).
  void clear();
  /// Keep only the count, not the requests (benchmarks).
  void set_record(bool on);

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace herald::http
