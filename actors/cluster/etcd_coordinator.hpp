#pragma once

// The etcd coordinator (DESIGN §6, issue 12): the coordinator_actor
// interface over etcd 3.4 (etcd_client.hpp).
//
//   member key /herald/<cluster>/members/<id> = {"caf","http"} on a lease
//   (TTL 2 s) kept alive every 0.5 s by one thread; another follows the
//   member keys with a watch (snapshot, then changes from its revision)
//   and sends the actor each new view
//   ──▶ membership_table (rendezvous ownership) ──▶ watchers
//
//   commit(key, rev, value): one transaction
//     compare members/<id>.create_revision == the one this node created
//       and progress/<key>.mod_revision == rev          (0: absent)
//     then put progress/<key> = value  → the new revision
//     else read both → member gone or re-created: fenced; else: conflict
//
// A node stops owning on its own clock: when no keep-alive succeeded for
// TTL − margin, the poller reports a view without this node (owner answers
// local=false, commits are fenced) until it is a member again — with a new
// lease and member key, so a stale fence never matches.
//
// Detached (every call blocks on etcd, with a deadline).

#include <chrono>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/cluster/types.hpp"

namespace herald::cluster {

struct etcd_coordinator_options {
  std::string cluster;                ///< --cluster NAME
  std::vector<std::string> endpoints; ///< --etcd URL,…
  member self;                        ///< this node (id not empty)
  std::chrono::seconds lease_ttl{2};
  std::chrono::milliseconds keep_alive_every{500};
  /// Pause before reading the members again after a failed read or a
  /// broken watch.
  std::chrono::milliseconds poll_every{250};
  std::chrono::milliseconds deadline{1000}; ///< per etcd call
};

/// Joins the cluster (grants the lease, writes the member key: errors are
/// errc::unavailable when etcd does not answer) and spawns the coordinator.
caf::expected<coordinator_actor>
spawn_etcd_coordinator(caf::actor_system& sys, etcd_coordinator_options opts);

} // namespace herald::cluster
