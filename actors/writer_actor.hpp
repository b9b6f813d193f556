#pragma once

// The writer: the only path into the audit trail. Group-commits publish
// requests and unconditional definition changes into as few
// event_store::append_requests() calls (one WriteBatch, one fsync each) as
// possible, replies once they are durable, and hands the newly stored
// events to the registry.
//
//   write ──▶ queue ──▶ [committer: store.append()] ──▶ route ──▶ replies
//                ▲ requests arriving while a commit is in flight wait here
//                  and go together into the next append (<= max_batch)
//
// The append runs in a separate `committer` actor: detached (its own
// thread) in production, so the fsync never blocks the cooperative
// scheduler; on the cooperative scheduler with `inline_io`, so deterministic
// tests drive exactly the same writer logic step by step.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/registry_actor.hpp"
#include "actors/type_ids.hpp"
#include "runtime/metrics.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::actors {

/// Counters of one writer, updated by the writer and readable from any
/// thread (metrics, tests).
struct writer_metrics {
  std::atomic<uint64_t> appends{0};        ///< append() calls that succeeded
  std::atomic<uint64_t> failed_appends{0}; ///< append() calls that failed
  std::atomic<uint64_t> requests{0};       ///< write requests accepted
  std::atomic<uint64_t> rejected{0};       ///< refused as overloaded
  std::atomic<uint64_t> events_stored{0};  ///< new events (not duplicates)
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> queued_events{0}; ///< waiting, not yet in flight
  std::atomic<uint64_t> largest_batch{0}; ///< most events in one append
  /// Events per append() (group commit size), successful or not.
  runtime::metric_histogram batch_events{
      runtime::exponential_buckets(1, 2, 14)};
  /// Seconds one append() took: the WriteBatch plus its fsync (measured on
  /// the committer's thread, successful or not).
  runtime::metric_histogram append_seconds{runtime::latency_buckets_seconds()};
};

struct writer_options {
  /// Run the append on the cooperative scheduler instead of a dedicated
  /// thread. For the deterministic test scheduler only: in production the
  /// fsync would stall a scheduler thread.
  bool inline_io = false;
  /// Most events per append(). A single request larger than this is still
  /// written atomically, alone.
  size_t max_batch = 8192;
  /// Most events waiting (not counting the batch in flight); a request that
  /// would exceed it is refused with runtime::errc::unavailable.
  size_t max_queued = 100000;
  /// Where the writer counts; created when null.
  std::shared_ptr<writer_metrics> metrics;
};

/// Messages of the writer actor.
///
/// - `(write_atom, std::vector<v1::Event> events)
///      -> std::vector<protocol::publish_result>`
///   Stores `events` atomically (all or none; they are expected to be
///   validated already, e.g. by runtime::decode_publish) and stamps them with
///   the node id, seq and accept time. Replies one result per event in input
///   order, after the events are durable; an id already stored (or repeated
///   earlier in the same commit) comes back with duplicate=true and the
///   stored seq. Before replying, the newly stored events go to the registry
///   as `(route_atom, event_ptrs)` in seq order. Errors: the store's error
///   (nothing stored, nothing routed) for every request of the failed
///   commit; runtime::errc::unavailable "writer overloaded" when more than
///   max_queued events wait; unavailable when the writer is shutting down.
///   An empty vector gets an empty reply.
///
/// - `(write_atom, std::vector<v1::Event> events, runtime::identity who)
///      -> std::vector<protocol::publish_result>`
///   The same for a client's publish: `who` is the publisher. An id already
///   stored (or published earlier in the same commit) as an event `who` may
///   not see refuses the request with runtime::errc::conflict and no seq
///   (existence does not leak). Any request the store refuses inside a group
///   commit fails alone: the other requests of that commit are stored.
///
/// - `(define_atom, protocol::definition_change change, std::vector<v1::Event>
///    events) -> protocol::definition_result`
///   Commits a definition change (config value, user, token, source
///   setting, task record) together with `events` (the system event
///   announcing it), atomically, in queue order with the writes. A change
///   without expect_version (storage::may_group_commit: unconditional, not
///   a source setting) joins the group commit of the requests around it
///   (one WriteBatch, one fsync); two changes of one key there apply in
///   queue order and each reply carries the version its own change
///   produced. Any other change commits alone, so its precondition fails
///   nothing else. Errors: the store's, for this request only
///   (runtime::errc::conflict for a stale expect_version, not_found,
///   invalid_field, source_disabled for its events), unavailable as for
///   write_atom; a failed append fails every request of it.
///
/// Writes from a disabled source are refused with runtime::errc::
/// source_disabled one request at a time (the others of the group commit
/// go ahead); a source change is ordered with the writes around it.
///
/// - `(flush_atom) -> uint64_t`
///   Answers, with the store's last seq, once every write request received
///   before it has been committed or failed (the drain on shutdown).
using writer_actor = caf::typed_actor<
    caf::replies_to<write_atom, std::vector<v1::Event>>::with<
        std::vector<protocol::publish_result>>,
    caf::replies_to<write_atom, std::vector<v1::Event>, runtime::identity>::
        with<std::vector<protocol::publish_result>>,
    caf::replies_to<define_atom, protocol::definition_change,
                    std::vector<v1::Event>>::with<protocol::definition_result>,
    caf::replies_to<flush_atom>::with<uint64_t>>;

/// Spawns the writer (on the cooperative scheduler; it never blocks) and its
/// committer (detached unless opts.inline_io). `registry` receives the
/// routed events. On an exit message the writer fails whatever is queued or
/// in flight with unavailable and takes the committer down with it; send a
/// flush first to drain.
writer_actor spawn_writer(caf::actor_system& sys,
                          std::shared_ptr<storage::event_store> store,
                          std::string node_id, registry_actor registry,
                          writer_options opts = {});

} // namespace herald::actors
