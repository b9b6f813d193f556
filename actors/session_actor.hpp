#pragma once

// A session: one caller's protocol::session_actor (actors/protocol/
// interfaces.hpp documents its messages), bound at spawn to the identity
// the caller's credential proved. Messages never name an identity; the
// session checks the role each message needs and forwards to the node's
// internal actors with its own identity, so a remote caller (client
// library, heraldctl, with the cluster) can do exactly what its credential
// allows and no more.
//
// A session holds no resources but its subscriptions' ids; it ends when the
// last handle to it is gone or on an exit message, which does not end the
// subscriptions (their subscribers are monitored by the registry).

#include <caf/fwd.hpp>

#include "actors/node.hpp"
#include "actors/protocol/interfaces.hpp"
#include "runtime/identity.hpp"

namespace herald::actors {

/// Spawns a session for `who` over the node's actors (writer, readers,
/// registry) and its definitions. Cooperative: it only forwards.
protocol::session_actor spawn_session(caf::actor_system& sys,
                                      const node_handles& node,
                                      protocol::definitions_actor definitions,
                                      runtime::identity who);

} // namespace herald::actors
