#pragma once

// Atoms and message types of herald::cluster, declared once (STYLE §5).
//
// The block starts where the protocol's `herald` block ends (the only reason
// this header includes actors/protocol/type_ids.hpp); the node-internal
// `herald_actors` block follows this one. Atom texts start with `hc`
// (coordinator) or `hl` (peer link) and have at most 10 characters: in CAF
// 0.17 an atom is its text, so they must differ from CAF's atoms and from
// every `h…` atom of actors/protocol/type_ids.hpp.
//
// The types have inspect() overloads (types.hpp) instead of
// CAF_ALLOW_UNSAFE_MESSAGE_TYPE: they are meant to cross the node port.
// std::vector<std::string> (peer_link's peer list) gets no ID here: CAF
// 0.17 does not need one at runtime, and claiming a standard type in this
// block could collide with another block claiming it.

#include <vector>

#include <caf/fwd.hpp>
#include <caf/type_id.hpp>

#include "actors/cluster/types.hpp"
#include "actors/protocol/type_ids.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(herald_cluster, caf::id_block::herald::end)

// coordinator_actor.hpp
CAF_ADD_ATOM(herald_cluster, herald::cluster, members_atom, "hcmembers")
CAF_ADD_ATOM(herald_cluster, herald::cluster, self_atom, "hcself")
CAF_ADD_ATOM(herald_cluster, herald::cluster, owner_atom, "hcowner")
CAF_ADD_ATOM(herald_cluster, herald::cluster, watch_atom, "hcwatch")
CAF_ADD_ATOM(herald_cluster, herald::cluster, unwatch_atom, "hcunwatch")
CAF_ADD_ATOM(herald_cluster, herald::cluster, view_atom, "hcview")
CAF_ADD_ATOM(herald_cluster, herald::cluster, progress_atom, "hcprogress")
CAF_ADD_ATOM(herald_cluster, herald::cluster, commit_atom, "hccommit")
CAF_ADD_ATOM(herald_cluster, herald::cluster, leave_atom, "hcleave")

// peer_link.hpp
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_send_atom, "hlsend")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_recv_atom, "hlrecv")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_up_atom, "hlup")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_down_atom, "hldown")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_attach_atom, "hlattach")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_peers_atom, "hlpeers")

// basp_link.hpp (between link actors; the retry tick is internal)
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_hello_atom, "hlhello")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_bye_atom, "hlbye")
CAF_ADD_ATOM(herald_cluster, herald::cluster, link_retry_atom, "hlretry")

CAF_ADD_TYPE_ID(herald_cluster, (herald::cluster::member))
CAF_ADD_TYPE_ID(herald_cluster, (std::vector<herald::cluster::member>))
CAF_ADD_TYPE_ID(herald_cluster, (herald::cluster::membership))
CAF_ADD_TYPE_ID(herald_cluster, (herald::cluster::ownership))
CAF_ADD_TYPE_ID(herald_cluster, (herald::cluster::progress))

CAF_END_TYPE_ID_BLOCK(herald_cluster)

namespace herald::cluster {

/// Registers the types above with `cfg` under their C++ names
/// ("herald::cluster::member", ...): CAF 0.17 needs that to serialize them
/// across the node port. Local use (in-process coordinator, memory
/// network) does not.
void add_message_types(caf::actor_system_config& cfg);

} // namespace herald::cluster
