#pragma once

// The registry: one per node. Holds the routing_table of local subscribers
// (stream actors, later subscription and trigger actors) and of peer nodes'
// interest, and routes every event the writer has stored to the local
// subscribers that match it and may see it.
//
// Ordering contract: the writer sends (route_atom, events) only after the
// events are durable, in seq order, from one actor; the registry handles
// messages one at a time. Hence a subscriber whose subscribe reply says
// `last_routed_seq = L` receives every matching event with seq > L live, in
// seq order, and every event with seq <= L is already in the store.

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/interfaces.hpp"
#include "actors/type_ids.hpp"

namespace herald::actors {

/// Messages of the registry actor.
///
/// - `(subscribe_atom, subscription sub, protocol::subscriber_actor
///    subscriber) -> uint64_t`
///   Adds `sub` (replacing a subscription with the same id) for
///   `subscriber`, which receives `(deliver_atom, event_ptrs)` messages from
///   then on and is monitored: when it goes down all its subscriptions go
///   too. Replies the seq of the last event routed so far (0 if none): every
///   matching event after it is delivered live. Errors: invalid_pattern
///   (field "name"), invalid_parameter (field "id").
///
/// - `(identity_atom, std::string id, runtime::identity who) -> bool`
///   Subscription `id`'s caller has new groups or roles: events routed
///   after this message are checked against `who` (routing_table::
///   set_identity). Replies whether the subscription exists.
///
/// - `(unsubscribe_atom, std::string id) -> void`
///   Removes subscription `id` if present (idempotent).
///
/// - `(route_atom, event_ptrs events) -> void`
///   From the writer only: newly stored events in ascending seq order. Each
///   local subscriber gets one `(deliver_atom, event_ptrs)` per matching
///   subscription holding exactly its matching, visible events, in seq
///   order. Peers' interest is computed but not forwarded yet (cluster
///   issue).
///
/// - `(peer_up_atom, std::string node_id, caf::actor registry) -> void`
///   A peer node's registry is reachable (DESIGN §6); it is monitored and
///   kept in the table (peer_down on its down_msg).
///
/// - `(peer_down_atom, std::string node_id) -> void`
///   Forgets a peer node and its interest.
///
/// - `(stats_atom) -> registry_stats`
///   A snapshot of the table's size and counters.
using registry_actor = caf::typed_actor<
    caf::replies_to<subscribe_atom, subscription,
                    protocol::subscriber_actor>::with<uint64_t>,
    caf::replies_to<identity_atom, std::string, runtime::identity>::with<bool>,
    caf::reacts_to<unsubscribe_atom, std::string>,
    caf::reacts_to<route_atom, event_ptrs>,
    caf::reacts_to<peer_up_atom, std::string, caf::actor>,
    caf::reacts_to<peer_down_atom, std::string>,
    caf::replies_to<stats_atom>::with<registry_stats>>;

/// Spawns the node's registry on the cooperative scheduler (it never
/// blocks). Stop it with an exit message (stop_node does).
registry_actor spawn_registry(caf::actor_system& sys);

} // namespace herald::actors
