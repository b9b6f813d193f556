#pragma once

// The delivery actor: one per node, the owner of topics and subscriptions
// at run time (DESIGN §4). It holds the compiled definitions, spawns one
// subscription_actor per enabled subscription this node owns (the
// coordinator says which: in-process, all of them) and answers what the
// API asks about them.
//
//   definitions ──load (spawn) / apply (after each commit)──▶ delivery actor
//       topics, subscriptions ──spawn/stop──▶ subscription actors
//   coordinator ──view──▶ re-check ownership of every subscription
//   API ──state / pause / resume / redrive──▶ (the owning actor)
//   API ──dead letters (list, delete)──▶ here (store reads, writer deletes)
//
// A definition change (filter, destination, topic rules) restarts the
// subscription's actor: the cursor is committed, so nothing is lost; what
// was in flight may go out twice.
//
// Detached (own thread): dead-letter pages are store reads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/delivery/subscription_actor.hpp"

namespace herald::delivery {

/// Every subscription's counters, for /metrics and retention (readable
/// from any thread).
class delivery_metrics {
public:
  struct row {
    std::string id;
    std::shared_ptr<subscription_metrics> counters;
    bool active = false; ///< enabled and not disabled by Herald
  };

  /// A snapshot of every subscription's counters, by id.
  std::vector<row> rows() const;

  /// The lowest seq some active subscription has not delivered or
  /// dead-lettered yet (cursor + 1; UINT64_MAX when there is none):
  /// retention's age rules keep every event from it on.
  uint64_t hold_seq() const;

  /// Set by the delivery actor.
  void put(const std::string& id, std::shared_ptr<subscription_metrics> m,
           bool active);
  void erase(const std::string& id);

  /// Held events that retention's size budget forced out (any thread):
  /// passed to the sink the delivery actor set, which keeps each as a
  /// dead letter ("expired") of every subscription that had not delivered
  /// it. Before the sink is set they are only logged.
  void expired(std::vector<v1::Event> events) const;
  void set_expired_sink(std::function<void(std::vector<v1::Event>)> sink);

private:
  mutable std::mutex mtx_;
  std::map<std::string, row> rows_;
  std::function<void(std::vector<v1::Event>)> sink_;
};

struct delivery_options {
  std::string node_id;
  /// A cluster with etcd: this node delivers its own trail's part of every
  /// enabled subscription (subscription_part), and applies the
  /// cluster-wide "subscription-state/<id>" records to it.
  bool cluster = false;
  std::shared_ptr<delivery_metrics> metrics; ///< created when null
};

/// Messages of the delivery actor. Errors are runtime::errc values with a
/// field, ready for an API error body.
///
/// - `(start_atom) -> bool`
///   After server.ready is stored: starts the subscription actors
///   (deliveries write events, so nothing runs before).
///
/// - `(apply_atom, std::string key, bool exists, std::string value)
///      -> bool`
///   A committed change of "topic/<id>", "subscription/<id>" or (a
///   cluster) "subscription-state/<id>" (`exists` false: deleted); the
///   tables and actors follow before the answer (a state: once this
///   node's part has committed it).
///
/// - `(seq_atom) -> uint64_t`
///   The last seq stored: where a subscription created now starts.
///
/// - `(state_atom, std::string id) -> std::string`
///   {"state","cursor_seq","lag_events","lag_seconds","attempts",
///    "failures","dead_letters","last_error"?,"owner"} as JSON text.
///   Errors: not_found "id".
///
/// - `(pause_atom, std::string id) -> bool`, `(resume_atom, …) -> bool`
/// - `(redrive_atom, std::string id, std::vector<std::string> event_ids)
///      -> uint64_t` (empty ids: all)
///   Forwarded to the subscription's actor. Errors: not_found "id";
///   conflict when the subscription is not running here (enabled: false).
///
/// - `(dead_letters_atom, std::string id, std::string after, uint64_t
///    limit) -> std::string`
///   {"dead_letters":[…],"next"?} in seq order; `after` is a page's
///   `next`. Errors: not_found "id", invalid_cursor "after".
///
/// - `(drop_atom, std::string id, std::string event_id) -> bool`
///   Deletes that dead letter. Errors: not_found "event_id".
///
/// - `(expired_atom, std::vector<v1::Event> events)`: held events the
///   size budget deleted (delivery_metrics::expired): each becomes a dead
///   letter with last_error "expired" of every enabled subscription whose
///   cursor is below it and that matches and may see it.
/// - `(cluster::view_atom, membership)`: from the coordinator.
using delivery_actor = caf::typed_actor<
    caf::replies_to<start_atom>::with<bool>,
    caf::replies_to<apply_atom, std::string, bool, std::string>::with<bool>,
    caf::replies_to<seq_atom>::with<uint64_t>,
    caf::replies_to<state_atom, std::string>::with<std::string>,
    caf::replies_to<pause_atom, std::string>::with<bool>,
    caf::replies_to<resume_atom, std::string>::with<bool>,
    caf::replies_to<redrive_atom, std::string,
                    std::vector<std::string>>::with<uint64_t>,
    caf::replies_to<dead_letters_atom, std::string, std::string,
                    uint64_t>::with<std::string>,
    caf::replies_to<drop_atom, std::string, std::string>::with<bool>,
    caf::reacts_to<expired_atom, std::vector<v1::Event>>,
    caf::reacts_to<cluster::view_atom, cluster::membership>>;

/// Loads the topics and subscriptions from env.store (on the calling
/// thread; a definition that no longer parses is logged and skipped) and
/// spawns the delivery actor. Errors: the store's.
caf::expected<delivery_actor> spawn_delivery(caf::actor_system& sys,
                                             subscription_env env,
                                             delivery_options opts);

} // namespace herald::delivery
