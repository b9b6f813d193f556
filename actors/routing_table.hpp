#pragma once

// The registry's routing table: which local subscription and which peer node
// wants which stored event. A pure class (no actors, no messaging): the
// registry actor owns one and turns messages into calls, and
// tests/actors/routing_table_test.cpp exercises it without spawning anything.
//
// Thread-safety: none; the owner serializes access.
//
// Cost: route() looks candidates up in a subject_trie keyed by name pattern,
// so routing one event costs O(segments + matching subscriptions), not
// O(all subscriptions). Subscriptions without a name pattern are stored under
// `>` (every valid name has at least one segment).
//
// Queue groups (DESIGN §4 `queue=NAME`): subscriptions of one principal
// (`who.name`, a user or a service token) with the same
// non-empty `queue` form a group. An event that matches at least one member
// (pattern, scope, filter, visibility) goes to exactly one of the matching
// members: round-robin in join order, skipping members whose gate says they
// are full or gone while another matching member has room. The table keeps,
// per gated member, the events assigned to it that its consumer has not
// taken yet; when the member is removed its gate is closed and those events
// are handed to the remaining matching members (seq order), or dropped and
// counted when none is left.
//
// Peers (DESIGN §6): each peer node's interest is a set of name patterns,
// plain (the peer gets every event a pattern matches, once however many
// match) or for a queue group. route() adds to each peer's delivery the
// events its plain patterns match, and spreads each group's events over
// the targets that have members: this node (if a local member matches) and
// each peer with a matching group pattern, in turn per group; a peer chosen
// for a group gets the event with that group marked in `chosen`. Peers
// apply scope, filter and visibility themselves. route_from_peer() routes a
// peer's events to local subscriptions only: plain ones as route() does,
// queue members only for the groups this node was chosen for.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "actors/protocol/messages.hpp"
#include "actors/queue_gate.hpp"
#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"
#include "runtime/subject_trie.hpp"

namespace herald::actors {

/// A stored event shared read-only between the writer, the registry and every
/// subscriber it is routed to.
using protocol::event_ptr;
using protocol::event_ptrs;

/// What a local subscriber wants (DESIGN §4): all present predicates must
/// hold, and the event must be visible to `who` (runtime::can_see).
struct subscription {
  std::string id;                   ///< unique per node; replaces on reuse
  std::optional<std::string> name;  ///< name pattern (`*`, `>`); absent = all
  std::optional<std::string> scope; ///< whole-segment scope prefix
  std::optional<runtime::content_filter> filter;
  runtime::identity who;
  /// Queue group (DESIGN §4 `queue=NAME`); empty = not in a group (gets
  /// every matching event).
  std::string queue;
  /// For a queue member: the gate its consumer takes frames through, so
  /// the table knows which assigned events were not delivered when the
  /// member leaves and can prefer members with room. Null: no load is known
  /// and everything assigned counts as delivered (nothing handed back).
  std::shared_ptr<queue_gate> gate;
  /// The subscriber takes events of other nodes (forwarded by peers, with
  /// their own node's seqs, which it must not take for this node's) and,
  /// unless it is a queue member, `(peer_gap_atom, ...)` notices when a
  /// peer lost events that may have matched. Without it the subscription
  /// sees this node's events only and asks peers for nothing (subscribers
  /// that keep a per-node seq cursor: triggers, delivery subscriptions).
  bool peer_events = false;
};

/// The key of `principal`'s queue group `queue` (DESIGN §4: the same name
/// from two principals is two groups). Also how peers name groups.
std::string queue_group_key(std::string_view principal, std::string_view queue);

/// Does `scope` equal `prefix` or lie below it by whole '/' segments?
/// (`a/b` is under `a`, `a/bc` is not.) An empty prefix matches everything.
bool scope_has_prefix(std::string_view scope, std::string_view prefix) noexcept;

/// Does `ev` satisfy every predicate of `sub` and is it visible to sub.who?
/// The single-subscription form of what routing_table::route() decides.
bool subscription_matches(const subscription& sub, const v1::Event& ev);

/// Local subscriptions and remote peers' interest, with the routing decision.
class routing_table {
public:
  /// Opaque id of a local subscriber (the registry uses the CAF actor id).
  /// One owner may hold several subscriptions.
  using owner_id = uint64_t;

  /// Events for one local subscription, a subsequence of route()'s input.
  struct local_delivery {
    owner_id owner = 0;
    std::string subscription_id;
    event_ptrs events;
  };

  /// Events for one peer node whose interest matched, each event once.
  /// `chosen`: (index into events, group key) for each queue group the peer
  /// was chosen for, in event order.
  struct peer_delivery {
    std::string node_id;
    event_ptrs events;
    std::vector<std::pair<size_t, std::string>> chosen;
  };

  struct route_result {
    std::vector<local_delivery> local;
    std::vector<peer_delivery> peers;
    void clear() {
      local.clear();
      peers.clear();
    }
  };

  routing_table() = default;
  routing_table(const routing_table&) = delete;
  routing_table& operator=(const routing_table&) = delete;

  // -- local subscriptions ----------------------------------------------------

  /// Adds `sub` for `owner`, replacing any subscription with the same id
  /// (whoever owned it; a replaced queue member leaves as in remove()).
  /// Fails with runtime::errc::invalid_pattern (field "name") when sub.name
  /// is not a valid pattern, or invalid_parameter (field "id") when sub.id
  /// is empty; the table is unchanged then.
  caf::error add(subscription sub, owner_id owner,
                 route_result* handoff = nullptr);

  /// Removes subscription `id`. Returns false if there was none. When it was
  /// a queue member, its gate is closed and the events assigned to it but
  /// not taken go to the group's remaining members: `handoff` (cleared
  /// first) holds their deliveries, as route() would; with a null `handoff`
  /// they are dropped (counted in queue_dropped()).
  bool remove(const std::string& id, route_result* handoff = nullptr);

  /// Removes every subscription of `owner` (it went down); returns their ids.
  /// Queue members leave as in remove(); their handed-back events go only to
  /// members of other owners.
  std::vector<std::string> remove_owner(owner_id owner,
                                        route_result* handoff = nullptr);

  /// The subscription with `id`, or nullptr. Valid until the next mutation.
  const subscription* find(const std::string& id) const;

  /// Gives subscription `id` the groups and roles of `who` (its caller's
  /// groups or roles changed): events routed from now on are checked
  /// against them. Everything else (name, queue membership, backlog) stays.
  /// Returns false if there is no such subscription.
  bool set_identity(const std::string& id, const runtime::identity& who);

  /// The owner of subscription `id`, if there is one.
  std::optional<owner_id> owner_of(const std::string& id) const;

  /// Number of subscriptions `owner` holds.
  size_t owner_count(owner_id owner) const;

  /// Number of local subscriptions.
  size_t size() const noexcept { return entries_.size(); }

  // -- queue groups
  // -------------------------------------------------------------

  /// Ids of the members of `principal`'s queue group `queue`, in join
  /// order.
  std::vector<std::string> group_members(const std::string& principal,
                                         const std::string& queue) const;

  /// Number of queue groups with at least one member.
  size_t group_count() const noexcept { return groups_.size(); }

  /// Events handed from a leaving member to another member of its group.
  uint64_t queue_handed_over() const noexcept { return handed_over_; }

  /// Undelivered events of a leaving member that no remaining member of its
  /// group matched (or that were handed back with a null `handoff`), and
  /// peer events for a group this node was chosen for that no local member
  /// matched.
  uint64_t queue_dropped() const noexcept { return dropped_; }

  // -- peers (DESIGN §6) -----------------------------------------------------

  /// Registers a peer node. Returns false if it was already known.
  bool add_peer(const std::string& node_id);

  /// Forgets a peer node and all its interest. Returns false if unknown.
  bool remove_peer(const std::string& node_id);

  /// Records that `node_id` has a subscriber for `pattern` (counted: add
  /// twice, remove twice), in queue group `group` (a queue_group_key; empty:
  /// plain). Fails on an unknown peer or a bad pattern.
  caf::error add_peer_interest(const std::string& node_id,
                               const std::string& pattern,
                               const std::string& group = {});

  /// Drops one count of (`node_id`, `pattern`, `group`). Returns false if
  /// absent.
  bool remove_peer_interest(const std::string& node_id,
                            const std::string& pattern,
                            const std::string& group = {});

  bool has_peer(const std::string& node_id) const;
  std::vector<std::string> peers() const;
  size_t peer_count() const noexcept { return peers_.size(); }

  // -- routing ----------------------------------------------------------------

  /// Decides who gets which of `events` (stored, in ascending seq order).
  /// `out` is cleared first. Each local delivery of a subscription without
  /// a queue holds exactly the events it matches and its identity may see,
  /// in input order. Of each queue group, exactly one matching member gets
  /// each event that matches any member (see the file comment). Each peer
  /// delivery holds the events whose name matches any of the peer's interest
  /// (peers apply filters and visibility themselves). Deliveries appear in
  /// the order of their first event.
  /// Queue groups with members on peers are spread as the file comment
  /// says; `out.peers` then carries the choices.
  void route(const event_ptrs& events, route_result& out);

  /// Routes events a peer forwarded (its stored events, seq ascending) to
  /// local subscriptions with peer_events only; `out.peers` stays empty.
  /// `chosen[i]` lists
  /// the group keys this node was chosen for for `events[i]` (missing =
  /// none): each goes to exactly one matching local member, or is dropped
  /// (queue_dropped) when none matches; no other queue member gets the
  /// event.
  void route_from_peer(const event_ptrs& events,
                       const std::vector<std::vector<std::string>>& chosen,
                       route_result& out);

  /// Local plain subscriptions with peer_events whose name pattern matches
  /// one of `names` (every one if `all_names`): (owner, subscription id).
  std::vector<std::pair<owner_id, std::string>>
  gap_subscribers(const std::vector<std::string>& names, bool all_names) const;

private:
  using key = uint64_t;

  struct group {
    std::string gkey;         // queue_group_key
    std::vector<key> members; // ascending key = join order
    key last = 0;             // member chosen last (round-robin)
  };

  struct entry {
    subscription sub;
    owner_id owner = 0;
    std::string pattern; // as inserted into trie_
    // Scratch for route(): index into out.local during route pass `epoch`.
    uint64_t epoch = 0;
    size_t out_index = 0;
    // Queue member: its group, and (when gated) the events assigned to it
    // whose take the gate has not counted yet. `assigned` counts all events
    // ever assigned, `trimmed` those popped off the front of `backlog`.
    group* grp = nullptr;
    uint64_t assigned = 0;
    uint64_t trimmed = 0;
    std::deque<event_ptr> backlog;
  };

  /// Undelivered events of leaving members, by group key (principal and
  /// queue name).
  using orphan_map = std::map<std::string, event_ptrs>;

  struct peer {
    std::map<std::string, size_t> interest; // pattern -> count
    // (group key, pattern) -> count
    std::map<std::pair<std::string, std::string>, size_t> groups;
    uint64_t epoch = 0;
    size_t out_index = 0;
  };

  void erase_key(key k, orphan_map* orphans);
  void hand_over(orphan_map& orphans, route_result* out);
  void assign(entry& e, const event_ptr& ev, route_result& out);
  void route_impl(const event_ptrs& events,
                  const std::vector<std::vector<std::string>>* chosen,
                  route_result& out);
  peer_delivery& peer_slot(const std::string& node_id, route_result& out);
  void route_to_groups(const event_ptr& ev, route_result& out);
  void route_to_peer_groups(const event_ptr& ev, route_result& out);
  bool has_room(const entry& e) const;
  key choose(group& g, const std::vector<key>& candidates) const;

  key next_key_ = 1;
  uint64_t epoch_ = 0;
  std::unordered_map<key, entry> entries_;
  std::unordered_map<std::string, key> by_id_;
  std::unordered_multimap<owner_id, key> by_owner_;
  runtime::subject_trie<key> trie_;
  std::map<std::string, group, std::less<>> groups_;
  uint64_t handed_over_ = 0;
  uint64_t dropped_ = 0;
  std::map<std::string, peer, std::less<>> peers_;
  runtime::subject_trie<std::string> peer_trie_;
  // (group key, node id) under each group pattern of each peer.
  runtime::subject_trie<std::pair<std::string, std::string>> peer_group_trie_;
  // Per group with members on peers: how many events were spread so far
  // (the next target is turns % targets).
  std::map<std::string, uint64_t, std::less<>> turns_;
  // Scratch buffers reused across route() calls.
  std::vector<key> match_scratch_;
  std::vector<std::pair<group*, key>> group_hits_;
  std::vector<key> candidates_;
  std::vector<std::string> peer_scratch_;
  std::vector<std::pair<std::string, std::string>> peer_group_hits_;
  std::vector<bool> peer_group_done_;
};

} // namespace herald::actors
