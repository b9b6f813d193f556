#pragma once

// The HTTP API of one node (DESIGN §2-§4, §7): routes requests to the
// writer, the readers and stream sessions. Thread-safe: handle() and
// upgrade() run concurrently on the io threads; replies come back from CAF
// threads through the reply callbacks.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "runtime/event_codec.hpp"
#include "tools/heraldd/daemon_config.hpp"
#include "tools/heraldd/http_server.hpp"
#include "tools/heraldd/stream_session.hpp"

namespace herald::heraldd {

class node_api : public http_router {
public:
  node_api(caf::actor_system& sys, actors::node_handles handles,
           const daemon_config& cfg);

  void handle(http_request req, const std::string& remote_ip,
              reply_fn reply) override;
  void upgrade(http_request req, boost::beast::tcp_stream stream,
               const std::string& remote_ip) override;

  /// /readyz answers 200 only while ready.
  void set_ready(bool ready) noexcept { ready_ = ready; }
  /// Refuses new publishes and streams (503) from now on.
  void set_draining() noexcept {
    draining_ = true;
    ready_ = false;
  }
  /// Closes every open stream with 1001 (going away).
  void close_streams() { streams_.shutdown_all(); }

  /// Blocks until no request is being handled or `deadline` passes; returns
  /// whether it got idle. Not for io or CAF threads.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

private:
  void publish(http_request& req, reply_fn& reply);
  void query(const query_string& q, unsigned version, bool keep_alive,
             reply_fn& reply);
  void fetch(std::string id, bool cloudevents, unsigned version,
             bool keep_alive, reply_fn& reply);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  runtime::publish_limits limits_;
  size_t stream_buffer_events_;
  size_t stream_buffer_bytes_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  stream_registry streams_;
  std::atomic<uint64_t> stream_counter_{0};
  std::mutex idle_mtx_;
  std::condition_variable idle_cv_;
  size_t in_flight_ = 0; // guarded by idle_mtx_
};

} // namespace herald::heraldd
