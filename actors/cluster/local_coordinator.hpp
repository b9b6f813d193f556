#pragma once

// The in-process coordinator: a cluster of one (DESIGN §6, no `--etcd`).
// This node is the only member from the start and owns every key until it
// leaves; a commit is event_store::commit_progress, a compare-and-set in
// the store's meta column family, durable like a definition. Answers every
// message of coordinator_actor (coordinator_actor.hpp).

#include <memory>

#include <caf/fwd.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/cluster/types.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::cluster {

struct local_coordinator_options {
  /// This node (its id must not be empty; addresses as heraldd bound them).
  member self;
  /// Run on the cooperative scheduler (deterministic tests only); otherwise
  /// the coordinator is detached: a commit waits for an fsync.
  bool inline_io = false;
};

/// Spawns the in-process coordinator over `store`. Stop it with an exit
/// message (after `(leave_atom)` when owners should hear of it first).
coordinator_actor
spawn_local_coordinator(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        local_coordinator_options opts);

} // namespace herald::cluster
