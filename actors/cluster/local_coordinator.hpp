#pragma once

// The in-process coordinator: a cluster of one (DESIGN §6, no `--etcd`).
// This node is the only member from the start and owns every key until it
// leaves; a commit is a compare-and-set in the store's meta column family,
// durable like a definition. Answers every message of coordinator_actor
// (coordinator_actor.hpp).
//
// Group commit: one write is in flight at a time, on a committer actor
// (detached unless inline_io). Commits that arrive meanwhile wait and go
// together into the next event_store::commit_progress_batch (one
// WriteBatch, one fsync), each still a compare-and-set of its own key in
// arrival order:
//
//   commit ─▶ fence check ─▶ queue ──▶ [committer: commit_progress_batch]
//                  │fenced       ▲ ≤ max_group per write     │
//                  ▼             └── next group ◀── replies ◀┘
//
// A leave waits for the commits received before it (they are written,
// then the view changes); commits received after it are fenced at once.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/cluster/types.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::cluster {

/// Counters of one in-process coordinator, updated by it and readable
/// from any thread (tests, metrics).
struct local_coordinator_metrics {
  std::atomic<uint64_t> commits{
      0}; ///< commit requests written or refused by the store
  std::atomic<uint64_t> groups{0};        ///< store writes (one fsync each)
  std::atomic<uint64_t> largest_group{0}; ///< most commits in one write
};

struct local_coordinator_options {
  /// This node (its id must not be empty; addresses as heraldd bound them).
  member self;
  /// Run the coordinator and its committer on the cooperative scheduler
  /// (deterministic tests only); otherwise both are detached: reads are
  /// RocksDB gets, a write waits for an fsync.
  bool inline_io = false;
  /// Most commits in one write; more wait for the next.
  size_t max_group = 4096;
  /// Where the coordinator counts; created when null.
  std::shared_ptr<local_coordinator_metrics> metrics = nullptr;
};

/// Spawns the in-process coordinator over `store`. Stop it with an exit
/// message (after `(leave_atom)` when owners should hear of it first): the
/// commits still queued or in flight then fail with errc::unavailable
/// (outcome unknown for those in flight), and its committer exits with it.
coordinator_actor
spawn_local_coordinator(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        local_coordinator_options opts);

} // namespace herald::cluster
