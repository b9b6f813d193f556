#pragma once

// One actor per subscription its node owns (DESIGN §4): it reads the audit
// trail at its cursor, as the subscription's creator may see it, and
// delivers each matching event in seq order through the node's http_pool.
//
//   registry ──deliver (wake only)──▶ subscription actor ◀──poll (1 s)
//                                        │ read a page after `position`
//                                        ▼   (readers, creator's identity)
//       pending (≤ read_events) ──batch──▶ http_pool ──sent──▶ here
//           delivered ─▶ cursor moves ─▶ fenced commit (coordinator)
//           retry ─▶ backoff (Retry-After) ─▶ same event again
//           permanent / exhausted ─▶ dead letter (writer: the definition
//             "dead-letter/<id>/<seq>" + subscription.dead_lettered)
//           410 ─▶ disabled (+ subscription.disabled)
//
// Memory is bounded per subscription: it never buffers the live stream
// (registry deliveries only wake it), at most `read_events` events wait in
// `pending`, at most one batch is in flight, and a re-drive reads its dead
// letters a page at a time.
//
// Order: event N+1 is never sent before N was delivered or dead-lettered;
// re-driven dead letters go before newer events, in their seq order. A
// crash re-sends what was sent after the last committed cursor (at least
// once; never lost). Attempt counts live in memory: a restart gives the
// event at the cursor a fresh count.
//
// The cursor is committed through the coordinator (key
// "subscription/<id>", flow::subscription_progress), commit first for state
// changes (pause, resume, disable), after the fact for the cursor; a
// fenced commit stops the actor (another node owns it now).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/delivery/http_pool.hpp"
#include "actors/delivery/type_ids.hpp"
#include "actors/registry_actor.hpp"
#include "actors/writer_actor.hpp"
#include "runtime/flow/subscription.hpp"
#include "runtime/identity.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::delivery {

/// Counters of one subscription, written by its actor, read from any
/// thread (/metrics, GET). They survive the actor (the manager keeps them).
struct subscription_metrics {
  std::atomic<uint64_t> cursor{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> attempts{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> dead_letters{0};
  /// Accept time of the oldest event read and not yet delivered (0: none).
  std::atomic<int64_t> oldest_pending_ns{0};
};

/// What every subscription actor of a node shares.
struct subscription_env {
  actors::writer_actor writer;
  actors::registry_actor registry;
  caf::actor readers; ///< reader_actor's messages
  cluster::coordinator_actor coordinator;
  /// Dead-letter pages (re-drive) and the last seq (polls, lag).
  std::shared_ptr<storage::event_store> store;
  std::shared_ptr<http_pool> pool;
  /// The identity of a principal (user name or "token/<id>") now; nullopt
  /// when it no longer exists. Empty name: the node itself (auth off).
  std::function<std::optional<runtime::identity>(const std::string&)> resolve;
  std::function<int64_t()> clock; ///< Unix ns
  size_t batch_events = 64;       ///< requests per http_pool batch
  size_t read_events = 256;       ///< most events waiting in memory
  std::chrono::milliseconds poll_interval{1000};
};

/// Messages of a subscription actor.
///
/// - `(state_atom) -> std::string`
///   {"state","cursor_seq","lag_events","lag_seconds","attempts",
///    "failures","dead_letters","last_error"?} as JSON text.
///
/// - `(pause_atom) -> bool` / `(resume_atom) -> bool`
///   Commits the new state (the cursor stays) and answers once it is
///   committed. Resume also re-enables a subscription Herald disabled
///   (410, creator deleted).
///
/// - `(redrive_atom, std::vector<std::string> event_ids) -> uint64_t`
///   Queues the dead letters with these event ids (empty: all of them
///   now) to be sent again before newer events, in seq order, with their
///   ids; answers how many were queued and stores
///   subscription.redriven {subscription_id, count}. A re-driven event
///   that is delivered leaves the dead letters; one that fails again stays
///   (attempts, last_error updated).
///
/// - `(deliver_atom, event_ptrs)`: from the registry; only a wake-up.
/// - `(sent_atom, batch_result)`: from the http_pool.
/// - `(retry_atom, uint64_t token)`, `(poll_atom)`: its timers.
using subscription_actor = caf::typed_actor<
    caf::replies_to<state_atom>::with<std::string>,
    caf::replies_to<pause_atom>::with<bool>,
    caf::replies_to<resume_atom>::with<bool>,
    caf::replies_to<redrive_atom, std::vector<std::string>>::with<uint64_t>,
    caf::reacts_to<deliver_atom, protocol::event_ptrs>,
    caf::reacts_to<sent_atom, batch_result>,
    caf::reacts_to<retry_atom, uint64_t>, caf::reacts_to<poll_atom>>;

/// Which part of a subscription an actor delivers. A node alone (the
/// default): all of it, progress key "subscription/<id>", a new
/// incarnation starting at the definition's start_seq. In a cluster with
/// etcd every node delivers the events of its own trail (the events are on
/// its disk only): progress key "on/<node>/subscription/<id>"
/// (cluster::pinned_key), fenced on that node's member key.
struct subscription_part {
  /// Empty: "subscription/<id>".
  std::string progress_key;
  /// Where a new incarnation's cursor starts; nullopt: start_seq.
  std::optional<uint64_t> fresh_start;
  /// The cluster-wide state ("subscription-state/<id>"), reconciled once
  /// the progress is loaded: true pauses an active part, false resumes a
  /// paused one (a part Herald disabled stays so until a resume).
  std::optional<bool> paused;
};

/// Spawns the actor of `def` (a by-topic subscription gets its `topic`,
/// null when the topic does not exist: it then matches nothing). It loads
/// its progress, starting a new incarnation at def.server().start_seq.
subscription_actor
spawn_subscription(caf::actor_system& sys, const subscription_env& env,
                   std::shared_ptr<const flow::subscription_def> def,
                   std::shared_ptr<const flow::topic_def> topic,
                   std::shared_ptr<subscription_metrics> metrics,
                   subscription_part part = {});

} // namespace herald::delivery
