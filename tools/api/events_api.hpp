#pragma once

// The events resource (DESIGN §2-§4, §7):
//
//   POST /api/v1/events           publish (publisher): one event or a batch,
//                                 native, CloudEvents (structured, batched
//                                 or binary), seed 001 or 002 shapes
//   GET  /api/v1/events           query (reader) → {"events":[…],"next"}
//   GET  /api/v1/events/{id}      one event (reader); unknown or hidden 404
//   GET  /api/v1/events/stream    a WebSocket stream (reader); without the
//                                 upgrade its parameters are checked, then
//                                 400
//
// Every read carries the caller's identity: the readers and the registry
// apply the visibility rule. In a cluster (set_cluster), queries and
// fetches also reach the other nodes (cluster_reads.hpp): a query without
// `after` or with a cluster cursor is merged from every live node, a fetch
// not found here is asked of the others; a request marked
// `X-Herald-Fanout: local`, or a query resuming a node cursor, reads this
// node's trail only. Streams are kept in the node's stream_registry
// by principal, so a change of the credential reaches them.
// Thread-safe: handlers run concurrently on the io threads; replies come
// back from CAF threads through the reply callbacks.

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "tools/api/cluster_reads.hpp"
#include "tools/api/metrics_api.hpp"
#include "tools/api/query_params.hpp"
#include "tools/api/stream_session.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

/// The path publishes go to.
inline constexpr std::string_view events_path = "/api/v1/events";

class events_api {
public:
  /// `state` and `streams` outlive this. `refuse` answers a refused stream
  /// upgrade (the node counts refusals through it).
  events_api(caf::actor_system& sys, actors::node_handles handles,
             const api_options& opts, const node_state& state,
             std::shared_ptr<auth_service> auth, stream_registry& streams,
             std::shared_ptr<api_metrics> metrics, http::refuse_fn refuse);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

  /// Makes reads cluster-wide (a node of a cluster). Call once, before
  /// serving.
  void set_cluster(std::shared_ptr<cluster_reads> cluster) {
    cluster_ = std::move(cluster);
  }

private:
  /// query() across the cluster.
  void cluster_query(http::request_context& ctx, const runtime::identity& who,
                     event_query_request parsed, http::reply_fn reply);
  void publish(http::request_context& ctx, const runtime::identity& who,
               http::reply_fn reply);
  void query(http::request_context& ctx, const runtime::identity& who,
             http::reply_fn reply);
  void fetch(http::request_context& ctx, const runtime::identity& who,
             http::reply_fn reply);
  /// GET /api/v1/events/stream without an upgrade.
  void stream_without_upgrade(http::request_context& ctx, http::reply_fn reply);
  /// The upgrade: checks the parameters, registers the session for the
  /// caller's principal (re-checking the credential under the registry's
  /// lock) and hands it the connection.
  void open_stream(http::request_context& ctx, const caller& from,
                   boost::beast::tcp_stream stream);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  runtime::publish_limits limits_;
  api_options opts_;
  const node_state& state_;
  std::shared_ptr<auth_service> auth_;
  stream_registry& streams_;
  std::shared_ptr<api_metrics> metrics_;
  http::refuse_fn refuse_;
  std::atomic<uint64_t> stream_counter_{0};
  /// Set in a cluster; null for a node alone.
  std::shared_ptr<cluster_reads> cluster_;
};

} // namespace herald::api
