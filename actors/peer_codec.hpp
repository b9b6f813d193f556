#pragma once

// The registries' peer protocol (DESIGN §6) as C++ values, and their bytes
// (proto/herald/v1/peer.proto, one PeerMessage per peer_link message). A
// pure codec: no actors, no state. decode_peer_message() accepts only
// well-formed messages (valid patterns and names, seqs ascending within a
// batch, choices pointing into their batch, ...) and answers anything else
// with an error, never a crash (fuzz/peer_fuzz.cpp).
//
// What flows between two registries a and b (see actors/README.md):
//
//   link_up ──▶ a sends snapshot (all its interest)
//   a's local pattern count 0↔1 ──▶ delta
//   a routes events matching b's interest ──▶ batch n (≤ window unacked)
//   b handed batch n to its subscribers ──▶ ack n
//   a's queue for b overflowed ──▶ loss (count, seq range, names)

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/expected.hpp>

#include "actors/protocol/messages.hpp"

namespace herald::actors {

/// A queue group across nodes: its principal and name. An empty queue
/// means no group (plain interest).
struct peer_group {
  std::string principal;
  std::string queue;
  friend auto operator<=>(const peer_group&, const peer_group&) = default;
};

/// `count` local subscriptions of the sender with name pattern `pattern`
/// in `group`.
struct peer_interest {
  std::string pattern;
  uint64_t count = 1;
  peer_group group;
};

/// Everything the sender wants; replaces what the receiver knew.
struct peer_snapshot {
  std::vector<peer_interest> entries;
};

/// Patterns whose count went 0 -> 1 (added) or 1 -> 0 (removed).
struct peer_delta {
  std::vector<peer_interest> added;
  std::vector<peer_interest> removed;
};

/// `events[event]` was sent because the receiver was chosen for `group`.
struct peer_choice {
  uint32_t event = 0;
  peer_group group;
};

/// The sender's stored events, seq ascending, numbered per link.
struct peer_batch {
  uint64_t batch = 0;
  protocol::event_ptrs events;
  std::vector<peer_choice> choices;
};

/// Batch numbers the receiver handed to its subscribers.
struct peer_ack {
  std::vector<uint64_t> batches;
};

/// Events the sender dropped for the receiver: `count` events with seqs in
/// first_seq..last_seq and these names (all_names: too many to list).
struct peer_loss {
  uint64_t count = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::vector<std::string> names;
  bool all_names = false;
};

using peer_message =
    std::variant<peer_snapshot, peer_delta, peer_batch, peer_ack, peer_loss>;

/// The most names a loss report lists before it says all_names.
inline constexpr size_t peer_loss_max_names = 16;

/// The bytes of `msg` (a PeerMessage). Precondition: a batch holds no null
/// event.
std::string encode_peer_message(const peer_message& msg);

/// Parses and validates a PeerMessage. Errors (runtime::errc::
/// invalid_parameter, field "peer"): not a PeerMessage, no body, an invalid
/// pattern or name, a zero count, batch number or seq, seqs not ascending in
/// a batch, an event without its node, a choice outside its batch or without a
/// queue, a principal with a NUL, an empty delta or ack, a loss with first_seq
/// > last_seq or too many names.
caf::expected<peer_message> decode_peer_message(std::string_view bytes);

} // namespace herald::actors
