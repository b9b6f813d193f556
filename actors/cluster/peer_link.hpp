#pragma once

// The peer link: how a node's registry talks to the registries of other
// nodes (DESIGN §6: interest, forwarded events, query fan-out), addressed
// by node id. The registry sees only this interface; what carries the
// bytes is the wiring's choice:
//
// - memory_network.hpp: N named nodes in one actor system, with links a
//   test can cut, heal, hold, release and reorder (no sockets, no clock).
// - BASP (issue 12): one link actor per node on the CAF node port; it
//   connects to the members the coordinator reports (membership_listener
//   views carry each member's caf_address), sends to the peer's link actor
//   over the middleman and monitors it for peer down.
//
// Payloads are opaque bytes (the registries' own codec, proto/'s
// node-to-node messages): the link never looks inside, and what a test
// sends in memory is exactly what would cross the socket, so no pointer or
// actor handle can slip into peer traffic unnoticed.
//
// Guarantees of every implementation, per ordered pair of nodes (a, b):
// - messages from a arrive at b in the order a's link took them, or not at
//   all; nothing arrives twice;
// - b's endpoint gets `(link_up_atom, a)` before the first message from a
//   and `(link_down_atom, a)` when the connection is lost; messages not
//   delivered by then are lost (a sender learns of losses only from
//   link_down and must resynchronise after the next link_up);
// - up and down alternate, starting with up.
// Nothing is promised across pairs (a→b vs. c→b) or across a down/up.

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/type_ids.hpp"

namespace herald::cluster {

/// What a link delivers to: the node's registry (or a test's probe).
///
/// - `(link_recv_atom, std::string from_node, std::string payload) -> void`
///   A message a peer sent to this node.
///
/// - `(link_up_atom, std::string node) -> void`
///   `node` is reachable: messages to it may arrive from now on (and its
///   messages may arrive here).
///
/// - `(link_down_atom, std::string node) -> void`
///   The connection to `node` is lost; sends to it are dropped until the
///   next link_up.
using peer_endpoint =
    caf::typed_actor<caf::reacts_to<link_recv_atom, std::string, std::string>,
                     caf::reacts_to<link_up_atom, std::string>,
                     caf::reacts_to<link_down_atom, std::string>>;

/// One node's end of the links to its peers.
///
/// - `(link_send_atom, std::string to_node, std::string payload) -> void`
///   Sends `payload` to the endpoint of `to_node`. Fire and forget: a send
///   to a node that is not up (unknown, cut, no endpoint, this node itself)
///   is dropped.
///
/// - `(link_attach_atom, peer_endpoint ep) -> void`
///   Makes `ep` this node's endpoint. `ep` then gets link_up for every
///   peer that is up, in node-id order, and the peers get link_up for this
///   node. Replacing an endpoint is a reconnect: peers get link_down, then
///   link_up, and the old endpoint gets nothing more. The link monitors
///   `ep`; when it terminates, the node's peers see it down.
///
/// - `(link_peers_atom) -> std::vector<std::string>`
///   The peers that are up for this node, sorted.
using peer_link = caf::typed_actor<
    caf::reacts_to<link_send_atom, std::string, std::string>,
    caf::reacts_to<link_attach_atom, peer_endpoint>,
    caf::replies_to<link_peers_atom>::with<std::vector<std::string>>>;

} // namespace herald::cluster
