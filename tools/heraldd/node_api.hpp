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
#include "tools/heraldd/admin_api.hpp"
#include "tools/heraldd/auth_service.hpp"
#include "tools/heraldd/compat_api.hpp"
#include "tools/heraldd/daemon_config.hpp"
#include "tools/http/http_server.hpp"
#include "tools/heraldd/metrics_endpoint.hpp"
#include "tools/heraldd/stream_session.hpp"

namespace herald::heraldd {

// Until these files move to tools/api (issue 9).
using namespace herald::http;

class node_api : public http_router {
public:
  /// Every request but /healthz, /readyz and login/renew must carry a
  /// credential `auth` accepts (401 otherwise).
  node_api(caf::actor_system& sys, actors::node_handles handles,
           const daemon_config& cfg,
           std::shared_ptr<storage::event_store> store,
           std::shared_ptr<auth_service> auth);

  void handle(http_request req, const std::string& remote_ip,
              reply_fn reply) override;
  void upgrade(http_request req, boost::beast::tcp_stream stream,
               const std::string& remote_ip) override;

  /// What `GET /metrics` shows; the `api` source is always this
  /// node_api's own counters. Call once, before serving (until then the
  /// page has the process metrics only).
  void set_metrics_sources(metrics_sources src) {
    src.api = api_metrics_;
    metrics_sources_ = std::move(src);
  }
  /// The HTTP layer's own counters (rejected publishes, query latency).
  const std::shared_ptr<api_metrics>& metrics() const noexcept {
    return api_metrics_;
  }

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
  void publish(http_request& req, const runtime::identity& who,
               reply_fn& reply);
  void query(const query_string& q, unsigned version, bool keep_alive,
             const runtime::identity& who, reply_fn& reply);
  void fetch(std::string id, bool cloudevents, unsigned version,
             bool keep_alive, const runtime::identity& who, reply_fn& reply);
  /// The request's bearer token (or, on WebSocket upgrades only, its
  /// `access_token` parameter `param`); "" when there is none.
  static caf::expected<std::string> credential_of(const http_request& req,
                                                  const std::string* param);
  /// The caller behind credential_of(req, param) and its expiry.
  caf::expected<auth_service::credential>
  authenticate(const http_request& req, const std::string* param);
  /// Counts a 401 / 403 reply in herald_http_auth_refused_total.
  void count_refusal(const http_response& res);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  runtime::publish_limits limits_;
  std::shared_ptr<auth_service> auth_;
  /// Open streams by principal; before admin_, which revokes them.
  stream_registry streams_;
  compat_api compat_; ///< seed 004's endpoints
  admin_api admin_;   ///< login, users, tokens, sources, config
  size_t max_streams_per_caller_;
  std::chrono::seconds stream_idle_timeout_;
  size_t stream_buffer_events_;
  size_t stream_buffer_bytes_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::shared_ptr<api_metrics> api_metrics_ = std::make_shared<api_metrics>();
  metrics_sources metrics_sources_; ///< set once, before serving
  std::atomic<uint64_t> stream_counter_{0};
  std::mutex idle_mtx_;
  std::condition_variable idle_cv_;
  size_t in_flight_ = 0; // guarded by idle_mtx_
};

} // namespace herald::heraldd
