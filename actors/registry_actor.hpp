#pragma once

// The registry: one per node. Holds the routing_table of local subscribers
// (stream actors, later subscription and trigger actors) and of peer nodes'
// interest, and routes every event the writer has stored to the local
// subscribers that match it and may see it.
//
// It is also the node's peer_endpoint (actors/cluster/peer_link.hpp): it
// shares its subscriptions' interest with every peer that is up and
// forwards each stored event to the peers with a matching subscriber, once
// per peer, in numbered batches under an ack window (peer_outbox.hpp);
// events from peers go to local subscribers only, those that take them
// (subscription::peer_events: streams). The peer protocol is
// actors/peer_codec.hpp; actors/README.md ("Peers") has the whole of it.
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

#include "actors/cluster/peer_link.hpp"
#include "actors/peer_outbox.hpp"
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
///   order. Each peer that is up and whose interest matches gets the
///   matching events as one batch (when its ack window allows; else they
///   wait in its bounded queue).
///
/// - `(cluster::link_up_atom, std::string node) -> void`
///   From the link: `node` is up. It becomes a peer (fresh: no interest, an
///   empty outbox) and gets this node's interest snapshot.
///
/// - `(cluster::link_down_atom, std::string node) -> void`
///   From the link: forgets `node`'s interest and drops its queue (counted
///   in peer_events_dropped).
///
/// - `(cluster::link_recv_atom, std::string from, std::string payload)
///    -> void`
///   From the link: a peer message (peer_codec.hpp). Interest updates the
///   table; an event batch goes to local subscribers with peer_events only
///   (as route does,
///   same filters and visibility; queue members only for the groups this
///   node was chosen for), then is acked; an ack opens the window; a loss
///   report becomes `(peer_gap_atom, from, first_seq, last_seq, count)` to
///   each local plain subscription with peer_events whose pattern matches a
///   lost name. A payload that does not decode, or from a node that is not up,
///   is dropped and counted (peer_rejected).
///
/// - `(stats_atom) -> registry_stats`
///   A snapshot of the table's size and counters.
using registry_actor = caf::typed_actor<
    caf::replies_to<subscribe_atom, subscription,
                    protocol::subscriber_actor>::with<uint64_t>,
    caf::replies_to<identity_atom, std::string, runtime::identity>::with<bool>,
    caf::reacts_to<unsubscribe_atom, std::string>,
    caf::reacts_to<route_atom, event_ptrs>,
    caf::reacts_to<cluster::link_recv_atom, std::string, std::string>,
    caf::reacts_to<cluster::link_up_atom, std::string>,
    caf::reacts_to<cluster::link_down_atom, std::string>,
    caf::replies_to<stats_atom>::with<registry_stats>>;

struct registry_options {
  /// This node's id (DESIGN §6 `--node-id`), for logs.
  std::string node_id;
  /// The node's end of the peer links; invalid = a node without peers. The
  /// registry attaches itself as the endpoint when it starts.
  cluster::peer_link link;
  /// The ack window and queue bounds, per peer.
  peer_window_options window;
};

/// Spawns the node's registry on the cooperative scheduler (it never
/// blocks). Stop it with an exit message (stop_node does).
registry_actor spawn_registry(caf::actor_system& sys, registry_options opts);

/// A registry without peers.
registry_actor spawn_registry(caf::actor_system& sys);

} // namespace herald::actors
