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

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"
#include "runtime/subject_trie.hpp"

namespace herald::actors {

/// A stored event shared read-only between the writer, the registry and every
/// subscriber it is routed to.
using event_ptr = std::shared_ptr<const v1::Event>;
using event_ptrs = std::vector<event_ptr>;

/// What a local subscriber wants (DESIGN §4): all present predicates must
/// hold, and the event must be visible to `who` (runtime::can_see).
struct subscription {
  std::string id;                   ///< unique per node; replaces on reuse
  std::optional<std::string> name;  ///< name pattern (`*`, `>`); absent = all
  std::optional<std::string> scope; ///< whole-segment scope prefix
  std::optional<runtime::content_filter> filter;
  runtime::identity who;
  /// Queue group (DESIGN §4 `queue=NAME`). Not shared yet: a subscription
  /// with a queue is routed like a plain one (queue groups are the next
  /// issue).
  std::string queue;
};

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
  struct peer_delivery {
    std::string node_id;
    event_ptrs events;
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
  /// (whoever owned it). Fails with runtime::errc::invalid_pattern (field
  /// "name") when sub.name is not a valid pattern, or invalid_parameter
  /// (field "id") when sub.id is empty; the table is unchanged then.
  caf::error add(subscription sub, owner_id owner);

  /// Removes subscription `id`. Returns false if there was none.
  bool remove(const std::string& id);

  /// Removes every subscription of `owner` (it went down); returns their ids.
  std::vector<std::string> remove_owner(owner_id owner);

  /// The subscription with `id`, or nullptr. Valid until the next mutation.
  const subscription* find(const std::string& id) const;

  /// The owner of subscription `id`, if there is one.
  std::optional<owner_id> owner_of(const std::string& id) const;

  /// Number of subscriptions `owner` holds.
  size_t owner_count(owner_id owner) const;

  /// Number of local subscriptions.
  size_t size() const noexcept { return entries_.size(); }

  // -- peers (DESIGN §6; forwarding arrives with the cluster issue) ----------

  /// Registers a peer node. Returns false if it was already known.
  bool add_peer(const std::string& node_id);

  /// Forgets a peer node and all its interest. Returns false if unknown.
  bool remove_peer(const std::string& node_id);

  /// Records that `node_id` has a subscriber for `pattern` (counted: add
  /// twice, remove twice). Fails on an unknown peer or a bad pattern.
  caf::error add_peer_interest(const std::string& node_id,
                               const std::string& pattern);

  /// Drops one count of (`node_id`, `pattern`). Returns false if absent.
  bool remove_peer_interest(const std::string& node_id,
                            const std::string& pattern);

  bool has_peer(const std::string& node_id) const;
  std::vector<std::string> peers() const;
  size_t peer_count() const noexcept { return peers_.size(); }

  // -- routing ----------------------------------------------------------------

  /// Decides who gets which of `events` (stored, in ascending seq order).
  /// `out` is cleared first. Each local delivery holds exactly the events
  /// its subscription matches and its identity may see, in input order; each
  /// peer delivery the events whose name matches any of the peer's interest
  /// (peers apply filters and visibility themselves). Deliveries appear in
  /// the order of their first event.
  void route(const event_ptrs& events, route_result& out);

private:
  using key = uint64_t;

  struct entry {
    subscription sub;
    owner_id owner = 0;
    std::string pattern; // as inserted into trie_
    // Scratch for route(): index into out.local during route pass `epoch`.
    uint64_t epoch = 0;
    size_t out_index = 0;
  };

  struct peer {
    std::map<std::string, size_t> interest; // pattern -> count
    uint64_t epoch = 0;
    size_t out_index = 0;
  };

  void erase_key(key k);

  key next_key_ = 1;
  uint64_t epoch_ = 0;
  std::unordered_map<key, entry> entries_;
  std::unordered_map<std::string, key> by_id_;
  std::unordered_multimap<owner_id, key> by_owner_;
  runtime::subject_trie<key> trie_;
  std::map<std::string, peer, std::less<>> peers_;
  runtime::subject_trie<std::string> peer_trie_;
  // Scratch buffers reused across route() calls.
  std::vector<key> match_scratch_;
  std::vector<std::string> peer_scratch_;
};

} // namespace herald::actors
