#pragma once

// The live members as one coordinator sees them, and who owns what. Plain
// C++ (no actors): the in-process coordinator holds one with itself as the
// only member; the etcd coordinator (issue 12) feeds it the member keys its
// watch reports. Both answer owner_of() from it, so ownership is decided
// by one rule everywhere.
//
// Ownership is rendezvous hashing (highest random weight): the owner of a
// key is the live member with the highest rendezvous_score(member id, key).
// Every node that sees the same members picks the same owner without
// talking to the others, and when a member joins or leaves only the keys
// it wins or held move. The score must therefore be the same on every node
// and build: it is FNV-1a 64 over the bytes of id, 0x00, key, finished by
// splitmix64's mixer — never std::hash. Changing it is a cluster protocol
// change.
//
// Thread-safety: none; one owner (an actor) uses it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/cluster/types.hpp"

namespace herald::cluster {

/// The rendezvous weight of `member_id` for `key` (see the file comment).
uint64_t rendezvous_score(std::string_view member_id,
                          std::string_view key) noexcept;

/// The key of `object` pinned to node `node_id`: "on/<node-id>/<object>".
/// Its owner is that node alone (what a node does with its own trail, such
/// as its part of a subscription's deliveries), so its commits are fenced
/// on that node's member key like any other.
std::string pinned_key(std::string_view node_id, std::string_view object);

class membership_table {
public:
  /// An empty view (view 0, no members) for the node `self_id`.
  explicit membership_table(std::string self_id);

  /// Replaces the live members (any order; of several with one id the
  /// last wins). When the set differs from the current one (an id or an
  /// address changed) the view number grows by one and true is returned;
  /// otherwise nothing changes.
  bool update(std::vector<member> live);

  /// The current view: members sorted by id.
  const membership& current() const noexcept { return current_; }

  const std::string& self_id() const noexcept { return self_id_; }

  /// This node is in the current view.
  bool self_live() const noexcept { return self_live_; }

  /// The owner of `key` in the current view: the member with the highest
  /// score (ties, which need a 64-bit collision, go to the smaller id);
  /// owner empty when no member is live. A key pinned to a node
  /// (pinned_key: "on/<node-id>/…") is owned by that node while it is
  /// live, by nobody otherwise.
  ownership owner_of(std::string_view key) const;

private:
  std::string self_id_;
  membership current_;
  bool self_live_ = false;
};

} // namespace herald::cluster
