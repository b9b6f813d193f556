#pragma once

// The retention sweeper: applies a storage::retention_policy in the
// background. Every `interval` it calls event_store::expire() in chunks
// until nothing expired is left or the tick's budget is used (then it goes
// on right away with a new tick, so an exit message is handled between
// ticks). Detached (own thread) in production: RocksDB deletions block.
// Ingest never waits for more than one chunk's WriteBatch (the store takes
// its write mutex per chunk only).
//
//   start ─▶ [tick: expire() × n] ─▶ more? ──yes──▶ tick now
//                  ▲                    └──no──▶ tick after `interval`
//                  └─────────────────────────────────────┘
//
// Ticks are CAF delayed messages, so the deterministic test coordinator
// drives them with advance_time(); the clock that decides ages is injected
// (`clock`), so tests use a mock clock.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"
#include "storage/retention.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::actors {

/// Counters of the retention sweeper, written by it and readable from any
/// thread (/metrics, tests).
struct retention_metrics {
  std::atomic<uint64_t> runs{0};           ///< ticks that completed
  std::atomic<uint64_t> failed_runs{0};    ///< ticks that hit a store error
  std::atomic<uint64_t> events_deleted{0}; ///< events removed, total
  /// Serialized bytes of the removed events and their keys (logical; the
  /// disk shrinks as RocksDB compacts).
  std::atomic<uint64_t> bytes_deleted{0};
  /// Clock time (Unix ns, the injected clock) when the last tick ended; 0
  /// before the first one.
  std::atomic<int64_t> last_run_unix_ns{0};
};

struct retention_options {
  storage::retention_policy policy;
  /// Time between sweeps (a sweep that had to stop at its budget continues
  /// at once).
  std::chrono::milliseconds interval{60'000};
  /// Events per expire() call.
  size_t chunk_events = 1000;
  /// Events per tick, at most (then a new tick is queued right away).
  size_t tick_events = 50'000;
  /// Unix time in ns; runtime::now_unix_ns when empty.
  std::function<int64_t()> clock;
  /// Run on the cooperative scheduler (deterministic tests only).
  bool inline_io = false;
  /// Where the sweeper counts; created when null.
  std::shared_ptr<retention_metrics> metrics;
  /// Asked before each expire() call: the lowest seq something still
  /// needs (subscriptions' cursors + 1); the age rules stop there
  /// (storage::retention_policy::hold_from_seq). Empty: nothing held.
  std::function<uint64_t()> hold;
  /// Gets the held events the size budget forced out (on the sweeper's
  /// thread, after they were deleted). Empty: they are just gone.
  std::function<void(std::vector<v1::Event>)> on_forced;
};

/// Messages of the retention actor.
///
/// - `(sweep_atom) -> uint64_t`
///   Sweeps now (up to tick_events) and answers the events deleted. Errors:
///   the store's.
///
/// - `(sweep_tick_atom)`
///   The periodic tick the actor sends itself; nothing answers it.
using retention_actor =
    caf::typed_actor<caf::replies_to<sweep_atom>::with<uint64_t>,
                     caf::reacts_to<sweep_tick_atom>>;

/// Spawns the sweeper (detached unless opts.inline_io); the first tick comes
/// after one interval. Stop it with an exit message (stop_node does).
retention_actor spawn_retention(caf::actor_system& sys,
                                std::shared_ptr<storage::event_store> store,
                                retention_options opts);

} // namespace herald::actors
