#pragma once

// One actor per WebSocket stream (DESIGN §4, §7): subscribes at the
// registry, optionally replays from the audit trail through the readers,
// then continues live without a gap or a duplicate, and pushes one text
// frame per event into a stream_sink that the WebSocket session drains.
//
//              subscribe reply (last routed L)
//   subscribing ──┬── no from_seq/since ─────────────────────────▶ live
//                 └── from_seq/since ──▶ replaying ──(store end,
//                                          held events sent)────▶ live
//
//   replaying: pages (query as `who`) go to the sink while it is below half
//     its bounds, else the actor waits for `drained`. Live deliveries are
//     held (bounded by max_held); on overflow the held events are dropped,
//     the highest dropped seq D is remembered, and replay goes on from the
//     store until past D (the writer routes only stored events, so the
//     store has every one). At the store's end, held events above the
//     replayed range are sent, then the stream is live.
//   live: each delivered event is pushed; when the sink is full the stream
//     closes with 1008 `slow_consumer resume_from_seq=N` (N = first event
//     not delivered) and the actor stops.
//
// Exactly-once: an event is sent only if its seq exceeds both the last seq
// sent and the highest seq the replay has covered. These rules live in a
// pure class, replay_cursor (actors/replay_cursor.hpp); the actor drives it.
//
// Queue member (spec.queue set; live only): the actor gives its sink and
// its subscription one queue_gate, through which the session takes frames
// one at a time. Every delivered event is pushed (events handed over from
// a member that left may be older than the last one sent). On exit, or when
// the sink overflows (1008 `slow_consumer`, no resume seq: the rest went to
// the other members), the gate is closed and the registry hands every event
// not taken to the other members.
//
// On exit (anon_send_exit from the HTTP layer when the socket closes, or
// any other reason) the actor unsubscribes and closes the sink with 1001
// `going_away` unless it was closed already.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/duration.hpp>
#include <caf/fwd.hpp>

#include "actors/node.hpp"
#include "actors/replay_cursor.hpp"
#include "actors/routing_table.hpp"
#include "actors/stream_sink.hpp"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"

namespace herald::actors {

/// What a stream asks for (the parsed query string of DESIGN §4's stream
/// endpoint, validated by the HTTP layer).
struct stream_spec {
  std::string id; ///< unique per node (the registry's subscription id)
  std::optional<std::string> name;  ///< name pattern
  std::optional<std::string> scope; ///< whole-segment scope prefix
  std::optional<runtime::content_filter> filter;
  std::optional<uint64_t> from_seq; ///< inclusive; replay first
  std::optional<int64_t> since_ns;  ///< inclusive, on event time; replay
  /// Queue group (DESIGN §4): each event to exactly one live member; no
  /// replay (from_seq/since close the stream with 1011 invalid_parameter).
  std::string queue;
  bool cloudevents = false; ///< format=cloudevents: CloudEvents 1.0 frames
  runtime::identity who;
};

struct stream_options {
  /// Events per replay query (1..1000).
  size_t page_size = 500;
  /// Live events held while replaying before the held buffer overflows.
  size_t max_held = 10000;
  /// Timeout of one replay query (caf::infinite allowed); a failed query
  /// closes the stream (1011).
  caf::duration query_timeout = caf::duration{std::chrono::seconds(30)};
  /// Where the stream counts (optional).
  std::shared_ptr<stream_metrics> metrics;
  /// Called once, on the actor's thread, when the registry has acknowledged
  /// the subscription (every event routed after that reaches the stream),
  /// or when the actor ends before that. The WebSocket session sends its
  /// 101 only then, so nothing published after the handshake is missed
  /// (DESIGN §7). Must be cheap (post to an executor).
  std::function<void()> on_subscribed;
};

/// The node's stream actors taken together, for `/metrics`: which streams
/// are open (a stream counts from its actor's start to its exit), how much
/// their sinks hold, and how many were cut as slow consumers. Held by
/// node_handles::streams; every stream actor of the node reports here.
/// Thread-safe.
class stream_stats {
public:
  struct totals {
    size_t open = 0;                 ///< live stream actors
    size_t buffered = 0;             ///< frames held by their sinks, summed
    size_t max_buffered = 0;         ///< frames held by the fullest sink
    uint64_t slow_consumer_cuts = 0; ///< streams closed with 1008
  };

  /// A stream started with `sink`; returns its key for closed().
  uint64_t opened(std::shared_ptr<const stream_sink> sink);
  /// The stream with `key` ended (its sink is no longer counted).
  void closed(uint64_t key);
  /// A stream was closed with 1008 `slow_consumer`.
  void count_slow_consumer_cut() noexcept {
    cuts_.fetch_add(1, std::memory_order_relaxed);
  }
  /// The figures now (locks each open sink briefly).
  totals snapshot() const;

private:
  mutable std::mutex mtx_;
  uint64_t next_key_ = 0;
  std::unordered_map<uint64_t, std::shared_ptr<const stream_sink>> open_;
  std::atomic<uint64_t> cuts_{0};
};

/// The registry subscription that carries a stream's matching rules.
subscription to_subscription(const stream_spec& spec);

/// Messages of a stream actor (a dynamically typed caf::actor, because the
/// registry delivers to any subscriber actor):
///
/// - `(deliver_atom, event_ptrs events) -> void`  from the registry. Events
///   of other nodes (forwarded by peers) are pushed as they come
///   (replay_cursor::on_remote).
/// - `(peer_gap_atom, std::string node, uint64_t first, uint64_t last,
///    uint64_t count) -> void`  from the registry: peer `node` dropped
///   events that may have matched; a plain stream closes with 1008
///   `slow_consumer resume_from_seq=N peer=NODE lost=FIRST-LAST`.
/// - `(drained_atom) -> void`  from the sink's drained callback: the
///   consumer caught up, replay continues.
/// - `(identity_atom, runtime::identity who) -> bool`  the caller's groups
///   or roles changed: replay pages from now on are queried as `who`, and
///   the registry checks live events against it. Replies once the registry
///   has the new identity (so an event published after the reply is
///   judged by it); false if the stream was not subscribed.
///
/// Spawns the stream actor on the cooperative scheduler (it never blocks:
/// reads go through node.readers). Stop it with caf::anon_send_exit.
caf::actor spawn_stream(caf::actor_system& sys, const node_handles& node,
                        stream_spec spec, std::shared_ptr<stream_sink> sink);

caf::actor spawn_stream(caf::actor_system& sys, const node_handles& node,
                        stream_spec spec, std::shared_ptr<stream_sink> sink,
                        const stream_options& opts);

} // namespace herald::actors
