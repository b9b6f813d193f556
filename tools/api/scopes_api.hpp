#pragma once

// The scope tree (DESIGN §3's scopes, seed 004's hierarchy):
//
//   GET /api/v1/scopes?parent=&after=&limit=   (reader)
//     → {"parent","scopes":[…],"next"?,"partial"?,"missing"?}
//
// One level at a time: the scopes one segment below `parent` that hold an
// event the caller may see (the readers apply the visibility rule,
// storage::event_store::list_scopes). In a cluster every live node lists
// its own trail (the caller's credential, `X-Herald-Fanout: local`) and the
// levels are merged (merge_scope_levels). Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/node.hpp"
#include "tools/api/cluster_reads.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

/// One node's answer for a level: its scopes (byte order) and the last one
/// it examined ("" when it listed the level to its end).
struct scope_level {
  std::vector<std::string> scopes;
  std::string next;
};

/// Merges the nodes' pages of one level into the cluster's page of at most
/// `limit` scopes: each scope once, in byte order, none past the point some
/// node has not yet examined (the smallest `next`), so resuming after the
/// merged `next` skips nothing on any node.
scope_level merge_scope_levels(const std::vector<scope_level>& parts,
                               size_t limit);

class scopes_api {
public:
  explicit scopes_api(caf::actor_system& sys, actors::node_handles handles)
      : sys_(sys), handles_(std::move(handles)) {}

  /// Registers GET /api/v1/scopes in `table` (once, before serving).
  void add_routes(routes& table);

  /// Makes the tree cluster-wide. Call once, before serving.
  void set_cluster(std::shared_ptr<cluster_reads> cluster) {
    cluster_ = std::move(cluster);
  }

private:
  void list(http::request_context& ctx, const caller& from,
            http::reply_fn reply);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  std::shared_ptr<cluster_reads> cluster_;
};

} // namespace herald::api
