#pragma once

// The BASP peer link (issue 12): one link actor per node, published on the
// CAF node port, carrying registry-to-registry payloads to the link actors
// of the other members over CAF's network layer. It implements peer_link
// (peer_link.hpp, with its per-pair guarantees) and is a
// membership_listener: the coordinator's views say whom to connect to.
//
// Per peer P, seen from this node (the node with the lower id dials):
//
//          view lists P, endpoint attached, our id < P's
//   down ──────────────────────────────────▶ connecting ─┐ connect_atom to
//    ▲  ▲                                       │ fails   │ P's caf_address,
//    │  └── retry every retry_every ◀───────────┘         │ then our hello
//    │                                                    ▼
//    │  P's handle down, P left the view,        up ◀── P answered its id
//    └─ P's bye, our endpoint replaced or gone ──┘  ◀── or P's hello with
//                                                       the secret arrived
//
// - Only the lower node id dials; the higher waits for its hello. CAF
//   0.17's BASP does not cope with two nodes dialing each other at once
//   (two TCP connections, routes switched between them with messages in
//   flight, spurious request_receiver_down), so a pair never does. A node
//   whose view lists a lower member does nothing until that member dials.
// - Up takes one handshake: the dialer's hello answered with the expected
//   id (the answerer checked the secret, the id it gave must be the
//   member we dialed), or, on the answering side, a hello with the right
//   secret, a member's id and the sender's own handle. A hello from a
//   peer that is up with that handle (both sides dialing after all)
//   changes nothing: one logical link per pair, one link_up.
// - A hello is refused (error reply, nothing changes) with a wrong secret
//   (runtime::errc::unauthorized; warned once a minute per claimed id,
//   never with the secret), from this node's own id, from an actor that is
//   not the handle it presents, from a handle up under another id, from an
//   id not in the current view or before an endpoint is attached
//   (cluster::errc::unavailable: the view may lag, the dialer retries).
// - `from` of every received payload is the id under which its sender's
//   handle was authenticated (current_sender()), never the message's own
//   `from` field; payloads from any other sender are dropped.
// - P goes down (endpoint gets link_down) when the monitor on P's handle
//   fires (P's node or link died, connection lost), when P leaves the view
//   (P is told with a bye), when P says bye, when P authenticates with a
//   new handle (restarted: down then up), or when the endpoint is replaced
//   or terminates (every peer gets a bye: peers see down, then up again
//   after the next hello). A dialer whose hello was answered after it
//   stopped wanting the answer (view changed, endpoint replaced, deadline
//   passed) says bye, unless a newer hello is already on its way, so
//   neither side stays up alone.
// - Nothing connects and no hello is accepted while no endpoint is
//   attached, so a peer is up only while both nodes have an endpoint and a
//   payload is never accepted with nowhere to deliver it.
// - Retries: one delayed tick every retry_every while some member this
//   node dials is not up and an endpoint is attached; none otherwise. A
//   connect or hello in flight is not started twice.
// - A dial first probes the member's port from a detached helper (its own
//   thread, deadline handshake_timeout), then asks the middleman: the
//   middleman's connect is a blocking connect() on its one thread, and a
//   dead host that drops SYNs would stall every other dial for minutes.
//   A system's shutdown may wait up to handshake_timeout for a probe.
// - Unknown messages are dropped without an answer and error messages are
//   ignored (CAF's default would quit): anyone connected to the node port
//   can send the link anything.
//
// FIFO per pair holds because all traffic of a pair is messages between the
// two link actors over the one BASP connection the dialer opened, and the
// handshake replies travel the same way. Peer-link messages are fire and
// forget: no flow control (a fast sender buffers in CAF; see TOOLCHAIN.md).
// A hung peer is noticed only with CAF's heartbeats configured
// (middleman.heartbeat-interval; TOOLCHAIN.md).
//
// Security: without TLS the secret crosses the wire in the hello in clear
// text, and the answering side of a hello proves nothing by answering: the
// dialer trusts its address because the coordinator gave it. With
// basp_link_options::tls the node port is published with
// caf::openssl::publish (by the caller) and every dial goes through CAF's
// OpenSSL middleman: mutual TLS, both sides' certificates verified against
// the CA (actors/protocol/node_tls.hpp says what is and is not checked),
// so a plain-TCP peer or one without a certificate from the CA never gets
// as far as a hello, and the hello's secret travels encrypted. CAF 0.17
// cannot tell a remote anonymous sender from a local one, so whoever gets
// onto the node port (with TLS: whoever holds a certificate from the CA)
// can still send the link an exit or a forged down_msg (DoS, not
// impersonation): bind the port to loopback or a private network.
//
// Thread-safety: an actor; talk to it with messages only.

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/coordinator_actor.hpp"
#include "actors/cluster/peer_link.hpp"
#include "actors/cluster/type_ids.hpp"
#include "actors/protocol/login.hpp"

namespace herald::cluster {

struct basp_link_options {
  /// This node's id (non-empty): the id peers must expect in the view.
  std::string self;
  /// The cluster secret: a peer's hello must carry the same one before any
  /// of its messages is accepted (compared in constant time, never logged).
  /// Empty: every peer's empty secret matches (warned at spawn).
  std::string secret;
  /// Reconnect pacing for members of the view that are not up.
  std::chrono::milliseconds retry_every{500};
  /// Deadline of one port probe, one middleman connect and one hello.
  std::chrono::milliseconds handshake_timeout{5000};
  /// Dial peers over TLS (through caf::openssl::manager's middleman actor):
  /// the system must have loaded the manager (protocol::configure) and the
  /// caller publishes the link with caf::openssl::publish. A dial to a
  /// plain node port then fails, as a plain dial to a TLS port does.
  bool tls = false;
  /// Client logins on the node port (protocol::login_port): resolves a
  /// credential to a session actor bound to its identity (`owner`: see
  /// protocol/login.hpp). Called on the
  /// link's thread: must not block (auth_service::resolve is in-memory).
  /// Unset: every login is refused with runtime::errc::unavailable.
  std::function<caf::expected<caf::actor>(const std::string& credential,
                                          const caf::actor& owner)>
      login;
};

/// peer_link + membership_listener + the messages between link actors.
///
/// Besides peer_link's and membership_listener's messages:
///
/// - `(link_hello_atom, std::string node, std::string secret, caf::actor
///    link) -> std::string`
///   A peer's link authenticates itself (sent by `link` itself); answers
///   this node's id; a link already up under `node` changes nothing.
///   Errors: runtime::errc::unauthorized (wrong secret, `link` is not the
///   sender, `node` is this node or empty, `link` is up under another id),
///   cluster::errc::unavailable (`node` not in the current view, no
///   endpoint attached).
///
/// - `(link_recv_atom, std::string from, std::string payload) -> void`
///   A payload from an authenticated peer link (`from` is ignored: the
///   sender decides); dropped from anyone else.
///
/// - `(link_bye_atom) -> void`
///   The sending peer link dropped this node: it goes down here too.
///
/// - `(link_retry_atom) -> void`
///   Internal: the reconnect tick (harmless from elsewhere).
///
/// - `(protocol::login_atom, std::string credential, caf::actor owner)
///    -> caf::actor`
///   A client logs in (protocol::login_port): answers what opts.login
///   answers, a session actor bound to the credential's identity. Errors:
///   runtime::errc::unauthorized, runtime::errc::unavailable (no login).
using basp_link_actor =
    peer_link::extend<caf::reacts_to<view_atom, membership>,
                      caf::replies_to<link_hello_atom, std::string, std::string,
                                      caf::actor>::with<std::string>,
                      caf::reacts_to<link_recv_atom, std::string, std::string>,
                      caf::reacts_to<link_bye_atom>,
                      caf::reacts_to<link_retry_atom>,
                      caf::replies_to<protocol::login_atom, std::string,
                                      caf::actor>::with<caf::actor>>;

/// Spawns the link of node `opts.self`. The caller publishes it on the node
/// port (`sys.middleman().publish(link, port, host)` with this typed
/// handle, so dialers can check the interface; `sys` must have loaded the
/// middleman and both add_message_types()), has it watch the coordinator
/// (watch_atom), attaches the endpoint, and sends it an exit on shutdown.
basp_link_actor spawn_basp_link(caf::actor_system& sys, basp_link_options opts);

/// Whether `given` equals `secret`, in time that depends only on
/// `secret`'s length (not on where they differ, nor on `given`).
bool equal_constant_time(const std::string& given, const std::string& secret);

} // namespace herald::cluster
