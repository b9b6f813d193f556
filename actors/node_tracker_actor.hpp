#pragma once

// The node tracker: the nodes this node has seen in the cluster, up or
// down, with what each owns (GET /api/v1/nodes), and the cluster's
// `node.joined` / `node.left` events (DESIGN §6).
//
// It watches the coordinator. Each member it has seen stays in its table
// (down, with the last time it was seen) until this node restarts.
// Events, when `announce` (a cluster with etcd; a node alone has none):
//
// - `node.joined` {node, address, http}: stored by the joining node itself,
//   the first time a view contains it.
// - `node.left` {node, address, http, last_seen}: stored by one of the
//   nodes that remain — the owner of "node/<id>" by rendezvous hashing
//   over the view without it — when a member leaves the view (its lease
//   lapsed or it left). Two nodes that briefly disagree on the view may
//   both store it; none is lost while a node remains live.
//
// What a node runs, as listed: the stored schedule triggers it owns by
// rendezvous hashing of "trigger/<id>" over the current view (each runs on
// one node), and, for a node that is up, every subscription (each node
// delivers its own trail's part; event triggers likewise run everywhere).

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/writer_actor.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::actors {

/// Messages of the node tracker.
///
/// - `(cluster::view_atom, cluster::membership)`: from the coordinator.
///
/// - `(cluster::members_atom) -> std::string`
///   `{"nodes":[{"id","address","http","state":"up"|"down","self",
///   "last_seen","owns":{"triggers","subscriptions","objects":[…≤100]}}]}`
///   sorted by id; `address` is the node port, `last_seen` RFC 3339 UTC
///   (now for live members).
///
/// - `(cluster::view_atom) -> (cluster::membership live,
///    std::vector<cluster::member> down)`
///   The current view, and every node seen since this node started that
///   is not in it, sorted by id: who a cluster query asks, and whom it
///   reports missing (tools/api/cluster_reads).
using node_tracker_actor =
    caf::typed_actor<caf::reacts_to<cluster::view_atom, cluster::membership>,
                     caf::replies_to<cluster::members_atom>::with<std::string>,
                     caf::replies_to<cluster::view_atom>::with<
                         cluster::membership, std::vector<cluster::member>>>;

struct node_tracker_options {
  std::string self;
  std::shared_ptr<storage::event_store> store;
  writer_actor writer;
  cluster::coordinator_actor coordinator;
  /// Store node.joined / node.left (a cluster with etcd).
  bool announce = false;
};

/// Spawns the tracker (detached: it reads definitions from the store) and
/// subscribes it to the coordinator's views.
node_tracker_actor spawn_node_tracker(caf::actor_system& sys,
                                      node_tracker_options opts);

} // namespace herald::actors
