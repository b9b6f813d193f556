#pragma once

// Seed 004's HTTP endpoints (EscapeKit's event service, DESIGN §3), answered
// in 004's own shapes so its clients keep working:
//
//   GET  /api/v1/events/query/                                   every event
//   GET  /api/v1/events/query/inventory/{project}/{application}/{version}/
//   GET  /api/v1/events/query/project/{project}/{environment}/{deployment}
//   POST /internal/create-event
//
// Each level of a query path is optional and a trailing '/' is too. Queries
// answer a bare JSON array of 004 Event objects (runtime/seed004_codec.hpp)
// and the next cursor in an `X-Next-Cursor` header (absent at the end);
// they take `limit`, `after`, `order` as GET /api/v1/events does. Reads
// need the reader role and return only what the caller may see;
// create-event needs publisher. Errors are DESIGN §7's error bodies: a
// path level that is not a scope segment is 400 `invalid_scope` with
// field = the level's name (`project`, `application`, ...); unknown
// parameters 400 `invalid_parameter`; create-event while draining 503.
// In a cluster (set_cluster) a query is merged from every live node as
// GET /api/v1/events is (cluster_reads.hpp); each event then also has
// `"node"`, and a reply that misses nodes names them in an
// `X-Herald-Partial` header (004's bare array has no room for it).
// Thread-safe: handlers run concurrently on the io threads; replies come
// back from CAF threads through the reply callback.

#include <string_view>

#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "runtime/event_codec.hpp"
#include "tools/api/cluster_reads.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class compat004_api {
public:
  /// `state` outlives this.
  compat004_api(caf::actor_system& sys, actors::node_handles handles,
                const api_options& opts, const node_state& state);

  /// Is `path` (still percent-encoded, one trailing '/' removed) one of
  /// 004's endpoints?
  static bool owns(std::string_view path) noexcept;

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

  /// Makes queries cluster-wide (a node of a cluster). Call once, before
  /// serving.
  void set_cluster(std::shared_ptr<cluster_reads> cluster) {
    cluster_ = std::move(cluster);
  }

private:
  void query(http::request_context& ctx, const runtime::identity& who,
             http::reply_fn reply);
  void create_event(http::request_context& ctx, const runtime::identity& who,
                    http::reply_fn reply);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  runtime::publish_limits limits_;
  const node_state& state_;
  /// Set in a cluster; null for a node alone.
  std::shared_ptr<cluster_reads> cluster_;
};

} // namespace herald::api
