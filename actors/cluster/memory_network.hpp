#pragma once

// An in-memory peer_link network for tests: N named nodes in one actor
// system, each with its own link actor (peer_link.hpp), every pair
// connected. A test breaks it on purpose:
//
//   cut(a, b)        the connection a–b is lost: both endpoints get
//                    link_down, messages held on it are dropped, sends are
//                    dropped until heal(a, b) (both get link_up)
//   hold(a, b)       messages a→b wait in a queue instead of arriving
//   release(a, b, n) the first n waiting messages arrive, in queue order
//   reorder/shuffle  permute the waiting messages (explicit or seeded)
//   resume(a, b)     release everything and stop holding
//
// Hold and cut are per link; a hold is per direction. Nothing uses time:
// messages move when the test says so, so it runs on the deterministic
// test coordinator (tests/support/actor_fixture.hpp) with run() between
// steps. Deliveries are plain sends to the endpoints, so "arrived" means
// "in the endpoint's mailbox".
//
// A peer b is up for a while both have an endpoint attached
// (link_attach_atom) and a–b is not cut. Sends to a node that is not up
// (unknown, cut, no endpoint, the sender itself) are dropped and counted.
//
// Thread-safety: every member may be called from any thread (one mutex;
// the link actors share it), though tests normally drive it from the test
// thread. The network must outlive nothing: destroying it stops the link
// actors and forgets the endpoints.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/cluster/peer_link.hpp"

namespace herald::cluster {

/// What happened on one direction of a link (from → to).
struct link_counters {
  uint64_t sent = 0;      ///< sends to `to` the link of `from` took
  uint64_t delivered = 0; ///< handed to the endpoint of `to`
  uint64_t dropped = 0;   ///< lost: not up when sent, or held when cut
  size_t held = 0;        ///< waiting for release now
};

class memory_network {
public:
  explicit memory_network(caf::actor_system& sys);
  ~memory_network();
  memory_network(const memory_network&) = delete;
  memory_network& operator=(const memory_network&) = delete;

  /// Adds node `id` (connected to every node, nothing cut or held) and
  /// spawns its link; for a known id, its existing link.
  peer_link add_node(const std::string& id);

  /// The link of `id`; an invalid handle for an unknown node.
  peer_link link_of(const std::string& id) const;

  /// Loses the connection a–b (see the file comment). No-op when cut.
  void cut(const std::string& a, const std::string& b);
  /// Restores a–b. No-op when not cut.
  void heal(const std::string& a, const std::string& b);
  /// Cuts every connection of `node` (a partition of one).
  void isolate(const std::string& node);
  bool is_cut(const std::string& a, const std::string& b) const;
  /// `b` is up for `a` (and so `a` for `b`).
  bool is_up(const std::string& a, const std::string& b) const;

  /// From now on messages from → to wait until released.
  void hold(const std::string& from, const std::string& to);
  /// Delivers the first `n` waiting messages from → to (still holding
  /// later ones); returns how many were delivered.
  size_t release(const std::string& from, const std::string& to,
                 size_t n = std::numeric_limits<size_t>::max());
  /// Delivers every waiting message from → to and stops holding; returns
  /// how many were delivered.
  size_t resume(const std::string& from, const std::string& to);
  /// Reorders the waiting messages from → to: the new i-th is the old
  /// `order[i]`. False (and nothing changes) unless `order` is a
  /// permutation of 0..held-1.
  bool reorder(const std::string& from, const std::string& to,
               const std::vector<size_t>& order);
  /// Shuffles the waiting messages from → to with a seeded Fisher–Yates
  /// (mt19937_64, the same on every platform) and returns the order
  /// applied, as reorder() takes it.
  std::vector<size_t> shuffle(const std::string& from, const std::string& to,
                              uint64_t seed);
  /// The waiting messages from → to, in the order they would arrive.
  std::vector<std::string> held(const std::string& from,
                                const std::string& to) const;

  link_counters counters(const std::string& from, const std::string& to) const;

  struct state;

private:
  caf::actor_system& sys_;
  std::shared_ptr<state> state_;
};

} // namespace herald::cluster
