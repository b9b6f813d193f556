#pragma once

// What one registry still has to send one peer (DESIGN §6), with the ack
// window that bounds it. A pure class (no actors): the registry keeps one per
// peer that is up and sends what it returns through the peer link.
//
// CAF has no flow control on remote sends, so a slow or stuck peer must not
// grow the sender: at most `max_batches_in_flight` batches and
// `max_events_in_flight` events are unacknowledged at any time; events
// beyond the window wait in a queue bounded by `max_queued_events` and
// `max_queued_bytes`. Events that do not fit are dropped (newest first) and
// summed into one loss report (count, seq range, names), which goes out as
// soon as the window has room again, after the batches queued before it.
//
//   push(events) ──▶ queue ──(window room)──▶ batch n ──▶ in flight
//                      │ over its bounds                    │ ack(n)
//                      ▼                                    ▼
//                    dropped ──▶ loss report         window opens: drain
//
// Batch numbers start at 1 for each outbox: a new link_up gets a new one.
//
// Thread-safety: none; the owner serializes access.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/peer_codec.hpp"

namespace herald::actors {

/// The bounds of one peer's outbox (registry_options::window).
struct peer_window_options {
  /// Unacknowledged batches at most (>= 1).
  size_t max_batches_in_flight = 8;
  /// Unacknowledged events at most (>= 1).
  size_t max_events_in_flight = 65536;
  /// Events per batch at most (>= 1); a route call's events for a peer
  /// go in one batch when the window allows.
  size_t max_batch_events = 8192;
  /// Events waiting for the window at most.
  size_t max_queued_events = 100000;
  /// Serialized bytes of the waiting events at most.
  size_t max_queued_bytes = size_t{64} << 20;
};

class peer_outbox {
public:
  explicit peer_outbox(peer_window_options opts = {});

  /// What to send now, in order, and how many events were dropped.
  struct output {
    std::vector<peer_message> send;
    size_t dropped = 0;
  };

  /// Takes a route call's events for the peer (seq ascending) with the
  /// groups the peer was chosen for (index into `events`, group key as
  /// queue_group_key). Returns the batches the window lets go now; what
  /// does not fit the queue is dropped (and reported later).
  output push(const protocol::event_ptrs& events,
              const std::vector<std::pair<size_t, std::string>>& chosen);

  /// The peer acknowledged `batches`: the window opens; returns what can
  /// go now. Unknown numbers are ignored.
  output ack(const std::vector<uint64_t>& batches);

  /// Forgets everything (the link is down); returns how many queued
  /// events were dropped that way.
  size_t clear();

  size_t queued_events() const noexcept { return queue_.size(); }
  size_t queued_bytes() const noexcept { return queued_bytes_; }
  size_t batches_in_flight() const noexcept { return in_flight_.size(); }
  size_t events_in_flight() const noexcept { return in_flight_events_; }
  /// A loss report waits for the window.
  bool loss_pending() const noexcept { return loss_.count > 0; }

private:
  struct item {
    protocol::event_ptr event;
    std::vector<std::string> groups; // queue_group_keys chosen
    size_t bytes = 0;
  };

  void drain(output& out);
  void drop(const item& it);

  peer_window_options opts_;
  std::deque<item> queue_;
  size_t queued_bytes_ = 0;
  std::map<uint64_t, size_t> in_flight_; // batch -> events
  size_t in_flight_events_ = 0;
  uint64_t next_batch_ = 1;
  peer_loss loss_;
  std::set<std::string> loss_names_;
};

} // namespace herald::actors
