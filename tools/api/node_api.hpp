#pragma once

// The HTTP API of one node (DESIGN §2-§7): the route table every resource
// registers in (nodes, events, compat004, metrics, auth, users, tokens,
// sources, config), the node's open streams, the lifecycle flags and the
// counters every reply goes through (401/403 refusals, rejected publishes,
// requests in flight for the drain). This is what http_server talks to.
//
// Thread-safe: handle() and upgrade() run concurrently on the io threads;
// replies come back from CAF threads through the reply callbacks.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "tools/api/admin_context.hpp"
#include "tools/api/auth_api.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/api/automation_api.hpp"
#include "tools/api/automation_handles.hpp"
#include "tools/api/cluster_reads.hpp"
#include "tools/api/compat004_api.hpp"
#include "tools/api/config_api.hpp"
#include "tools/api/console_api.hpp"
#include "tools/api/delivery_api.hpp"
#include "tools/api/delivery_handles.hpp"
#include "tools/api/events_api.hpp"
#include "tools/api/listeners_api.hpp"
#include "tools/api/metrics_api.hpp"
#include "tools/api/nodes_api.hpp"
#include "tools/api/scopes_api.hpp"
#include "tools/api/sources_api.hpp"
#include "tools/api/stream_session.hpp"
#include "tools/api/tokens_api.hpp"
#include "tools/api/types.hpp"
#include "tools/api/users_api.hpp"
#include "tools/http/http_server.hpp"

namespace herald::api {

class node_api : public http::http_router {
public:
  /// Every request but /healthz, /readyz and login/renew must carry a
  /// credential `auth` accepts (401 otherwise). `handles.definitions` must
  /// be set (users, tokens, sources and config go through it).
  node_api(caf::actor_system& sys, actors::node_handles handles,
           const api_options& opts, std::shared_ptr<auth_service> auth);
  /// Waits for password checks in progress: they call into the resources.
  ~node_api() override;

  void handle(http::http_request req, const std::string& remote_ip,
              reply_fn reply) override;
  void upgrade(http::http_request req, boost::beast::tcp_stream stream,
               const std::string& remote_ip) override;

  /// What `GET /metrics` shows; the `api` source is always this
  /// node_api's own counters. Call once, before serving (until then the
  /// page has the process metrics only).
  void set_metrics_sources(metrics_sources src) {
    src.api = api_metrics_;
    metrics_.set_sources(std::move(src));
  }
  /// The HTTP layer's own counters (rejected publishes, query latency).
  const std::shared_ptr<api_metrics>& metrics() const noexcept {
    return api_metrics_;
  }

  /// /readyz answers 200 only while ready.
  void set_ready(bool ready) noexcept { state_.ready = ready; }
  /// Refuses new publishes and streams (503) from now on.
  void set_draining() noexcept {
    state_.draining = true;
    state_.ready = false;
  }
  /// The automation actors (DESIGN §4, §5): registers their resources
  /// (`/api/v1/listeners`). Call once, before serving.
  void set_automation(automation_handles handles);
  /// The delivery actor (DESIGN §4): topics, subscriptions, dead letters.
  /// Call once, before serving.
  void set_delivery(delivery_handles handles) { delivery_ = handles; }
  /// The node tracker (GET /api/v1/nodes). Call once, before serving.
  void set_node_tracker(actors::node_tracker_actor tracker) {
    tracker_ = std::move(tracker);
  }

  /// Makes queries and fetches cluster-wide (DESIGN §6; a node of a
  /// cluster, after set_node_tracker's tracker is spawned): they reach the
  /// other live nodes (cluster_reads.hpp). Call once, before serving; a
  /// node alone never calls it.
  void set_cluster(cluster_reads_options opts);

  /// Closes every open stream and listener connection with 1001 (going
  /// away).
  void close_streams() {
    streams_.shutdown_all();
    if (listeners_)
      listeners_->close_all();
  }

  /// Blocks until no request is being handled or `deadline` passes; returns
  /// whether it got idle. Not for io or CAF threads.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

private:
  /// Counts a 401 / 403 reply in herald_http_auth_refused_total.
  void count_refusal(const http::http_response& res);
  /// A refused upgrade: counted, then answered and closed.
  void refuse(boost::beast::tcp_stream stream, http::http_response res);

  std::shared_ptr<auth_service> auth_;
  node_state state_;
  std::shared_ptr<api_metrics> api_metrics_ = std::make_shared<api_metrics>();
  /// Open streams by principal; before the resources, which revoke them.
  stream_registry streams_;
  routes routes_;
  admin_context admin_;
  automation_handles automation_;
  delivery_handles delivery_;
  actors::node_tracker_actor tracker_;
  /// Set by set_cluster(); its fetcher thread stops with it.
  std::shared_ptr<cluster_reads> cluster_;
  nodes_api nodes_;
  events_api events_;
  scopes_api scopes_;
  compat004_api compat_;
  metrics_api metrics_;
  auth_api auth_api_;
  users_api users_;
  tokens_api tokens_;
  sources_api sources_;
  config_api config_;
  automation_api automation_api_;
  delivery_api delivery_api_;
  console_api console_;
  /// Set by set_automation().
  std::unique_ptr<listeners_api> listeners_;
  caf::actor_system& sys_;
  api_options opts_;
  caf::actor readers_;
  std::mutex idle_mtx_;
  std::condition_variable idle_cv_;
  size_t in_flight_ = 0; // guarded by idle_mtx_
};

} // namespace herald::api
