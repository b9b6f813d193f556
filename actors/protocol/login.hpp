#pragma once

// What a client sees of the node port (DESIGN §6 "Remote actor clients").
// The BASP link actor published there (actors/cluster/basp_link.hpp)
// implements this message among its peer messages; a client connects with
// `middleman().remote_actor<protocol::login_port>(host, port)`, which CAF
// 0.17 accepts because the published interface includes this one.
//
// In its own header (not type_ids.hpp) so that adding it rebuilt only the
// link and its users: an atom needs no type ID.

#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald::protocol {

/// Log in on the node port. Text ≤ 10 chars, `h` first (type_ids.hpp).
using login_atom = caf::atom_constant<caf::atom("hlogin")>;

/// The client's view of the node port.
///
/// - `(login_atom, std::string credential, caf::actor owner) -> caf::actor`
///   Resolves `credential` (a login JWT or a service token) and answers a
///   session_actor (interfaces.hpp; sent as an untyped handle because CAF
///   0.17 serialises only named types: actor_cast it) bound to the identity
///   the credential proved; no later message names an identity. `owner` is
///   the client's actor that lives as long as its connection: reserved so
///   the node can end the session when it goes down (not enforced yet: a
///   client ends its session with an exit message on a clean disconnect,
///   and the node ends the rest at shutdown). It never decides the
///   identity; null is accepted. Errors:
///   runtime::errc::unauthorized (bad or expired credential),
///   runtime::errc::unavailable (the node takes no logins).
using login_port = caf::typed_actor<
    caf::replies_to<login_atom, std::string, caf::actor>::with<caf::actor>>;

} // namespace herald::protocol
