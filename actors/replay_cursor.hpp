#pragma once

// A stream's way from replay to live, exactly once (DESIGN §4, §7). A pure
// class: no actors, no sink, no store. stream_actor holds one and turns
// messages into calls; each call pushes what can be pushed through an
// `output` (the actor's stream_sink) and says what the actor does next: ask
// the readers for a replay page, stop, or close as a slow consumer.
// tests/actors/replay_cursor_test.cpp drives it without spawning anything.
//
//              on_subscribed()
//   subscribing ──┬── no replay ─────────────────────────────────▶ live
//                 └── replay ──▶ replaying ──(store end,
//                                  │  ▲       held events sent)──▶ live
//                          query ◀─┘  └── on_page(), on_drained()
//   replaying/live ──(sink full while live, consumer gone)──▶ closed
//
//   replaying: replayed events are pushed paced (output::push_paced false:
//     wait for on_drained()). Live events (on_live) are held, bounded by
//     max_held; on overflow the held events are dropped, the highest
//     dropped seq D is remembered and replay goes on from the store until
//     past D (the writer routes only stored events, so the store has every
//     one). At the store's end, held events above the replayed range are
//     sent, then the stream is live.
//   live: each live event is pushed; a full sink closes the stream as a
//     slow consumer, resuming from the first event not delivered.
//
// Exactly once: an event is sent only if its seq exceeds both the last seq
// sent and the highest seq the replay has covered (its events and every seq
// its pages examined). A queue member (live only) pushes every event it is
// given: events handed over from a member that left may be older than the
// last one sent.
//
// Events of other nodes (forwarded by a peer's registry, DESIGN §6) have
// their own node's seqs and are not in this node's store: on_remote()
// pushes them as they come, in any phase, without the seq checks; they
// never move last_sent().
//
// Thread-safety: none; the owner serializes access.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "herald/v1/event.pb.h"

namespace herald::actors {

/// Counters of one stream (stream_options::metrics), kept by its cursor and
/// readable from any thread (tests, metrics).
struct stream_metrics {
  std::atomic<uint64_t> queries{0};   ///< replay pages requested
  std::atomic<uint64_t> passes{0};    ///< replay passes started
  std::atomic<uint64_t> replayed{0};  ///< frames pushed while replaying
  std::atomic<uint64_t> live{0};      ///< frames pushed while live
  std::atomic<uint64_t> held{0};      ///< live events held during replay
  std::atomic<uint64_t> overflows{0}; ///< held buffer overflows
  std::atomic<uint64_t> waits{0};     ///< times replay waited for drained
};

class replay_cursor {
public:
  /// A stored event shared read-only (the registry's event_ptr; declared
  /// here so this header needs no actor or message header).
  using event_ptr = std::shared_ptr<const v1::Event>;
  using event_ptrs = std::vector<event_ptr>;

  enum class phase { subscribing, replaying, live, closed };

  struct options {
    /// First seq wanted (inclusive); none for `since` or live only.
    std::optional<uint64_t> from_seq;
    /// Replay from the store before going live (from_seq or since given).
    bool replay = false;
    /// Queue-group member: no replay, no duplicate check, and a full sink
    /// closes without a resume seq (the rest goes to the other members).
    bool queue_member = false;
    /// Live events held while replaying before the buffer overflows (0: 1).
    size_t max_held = 10000;
  };

  /// Where frames go (the actor's stream_sink).
  class output {
  public:
    virtual ~output() = default;
    /// Replay: pushes `ev` if the sink has room to spare; otherwise arranges
    /// for on_drained() and returns false (nothing pushed).
    virtual bool push_paced(const event_ptr& ev) = 0;
    /// Live: pushes `ev`; false if the sink is full (nothing pushed).
    virtual bool push(const event_ptr& ev) = 0;
    /// The consumer is gone: nothing more is worth pushing.
    virtual bool consumer_gone() const = 0;
  };

  /// What the driver does after a call.
  struct step {
    enum class kind {
      none,          ///< wait for the next input
      query,         ///< request a replay page, answer with on_page()
      stop,          ///< the consumer is gone: stop, no close needed
      slow_consumer, ///< close with 1008 slow_consumer and stop
    };
    kind what = kind::none;
    /// query: true starts a pass, a fresh query from `from_seq` (the first
    /// pass: the stream's own from_seq, none for `since`); false asks for
    /// the current pass's next page (the driver keeps its cursor).
    bool new_pass = false;
    std::optional<uint64_t> from_seq;
    /// slow_consumer: the first seq not delivered; none for a queue member.
    std::optional<uint64_t> resume_from;
  };

  /// Live only, not counted.
  replay_cursor();
  /// `metrics`, when set, must outlive the cursor.
  explicit replay_cursor(options opts, stream_metrics* metrics = nullptr);

  /// The registry acknowledged the subscription: every event routed from
  /// now on comes through on_live().
  step on_subscribed(output& out);
  /// A replay page answered the last query: its events in seq order, the
  /// highest seq it examined, and whether the pass has more pages.
  step on_page(event_ptrs events, uint64_t last_examined_seq, bool more,
               output& out);
  /// Live events from the registry, in seq order (null entries ignored).
  step on_live(const event_ptrs& events, output& out);
  /// The sink has room again after push_paced() returned false.
  step on_drained(output& out);
  /// Live events of other nodes (null entries ignored): pushed at once; a
  /// full sink closes as a slow consumer resuming from last_sent() + 1.
  step on_remote(const event_ptrs& events, output& out);

  phase current() const noexcept { return phase_; }
  /// Highest seq pushed (from_seq - 1 before the first).
  uint64_t last_sent() const noexcept { return last_sent_; }
  /// Seqs up to here were sent or replayed: live copies are duplicates.
  uint64_t covered() const noexcept;
  size_t held() const noexcept { return held_.size(); }
  bool waiting_drain() const noexcept { return waiting_drain_; }
  bool query_in_flight() const noexcept { return query_in_flight_; }

private:
  step start_pass(bool first);
  step request_page(bool new_pass, std::optional<uint64_t> from_seq);
  step pump(output& out);
  void hold(const event_ptrs& events);
  step deliver_live(const event_ptrs& events, output& out);
  step close(step s);
  void bump(std::atomic<uint64_t> stream_metrics::*counter);

  options opts_;
  stream_metrics* metrics_;
  phase phase_ = phase::subscribing;
  uint64_t last_sent_ = 0;
  /// Every matching event up to here came (or is coming, via pending_) from
  /// the replay.
  uint64_t replay_high_ = 0;
  /// Replayed (or formerly held) events not yet pushed: at most one page or
  /// max_held events.
  std::deque<event_ptr> pending_;
  bool more_ = false;
  bool query_in_flight_ = false;
  bool waiting_drain_ = false;
  /// Live events that arrived before the replay ended (<= max_held).
  std::deque<event_ptr> held_;
  bool overflowed_ = false;
  uint64_t dropped_high_ = 0;
};

} // namespace herald::actors
