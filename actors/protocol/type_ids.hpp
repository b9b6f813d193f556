#pragma once

// Atoms and message types of herald::protocol, declared once (STYLE §5).
//
// Atom texts are at most 10 characters and start with `h` so they never equal
// one of CAF's own atoms (`flush`, `subscribe`, `get`, ...): in CAF 0.17 an
// atom is its text, and a clash would let CAF's handlers and ours see each
// other's messages.
//
// Every type in this block has an inspect() overload (messages.hpp,
// inspect.hpp), so it may cross the node port; register the block with
// `cfg.add_message_types<caf::id_block::herald>()` (add_message_types()
// below) before a system that talks to other nodes starts. Node-internal
// types (storage requests, the routing table's subscription) are in
// actors/type_ids.hpp's own block, after this one.

#include <vector>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/type_id.hpp>

#include "actors/protocol/messages.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(herald, caf::first_custom_type_id)

// Events.
CAF_ADD_ATOM(herald, herald::protocol, publish_atom, "hpublish")
CAF_ADD_ATOM(herald, herald::protocol, write_atom, "hwrite")
CAF_ADD_ATOM(herald, herald::protocol, flush_atom, "hflush")
CAF_ADD_ATOM(herald, herald::protocol, commit_atom, "hcommit")
CAF_ADD_ATOM(herald, herald::protocol, route_atom, "hroute")
CAF_ADD_ATOM(herald, herald::protocol, subscribe_atom, "hsubscr")
CAF_ADD_ATOM(herald, herald::protocol, unsubscribe_atom, "hunsubscr")
CAF_ADD_ATOM(herald, herald::protocol, deliver_atom, "hdeliver")
CAF_ADD_ATOM(herald, herald::protocol, query_atom, "hquery")
CAF_ADD_ATOM(herald, herald::protocol, fetch_atom, "hfetch")
CAF_ADD_ATOM(herald, herald::protocol, identity_atom, "hidentity")
// Definitions.
CAF_ADD_ATOM(herald, herald::protocol, define_atom, "hdefine")
CAF_ADD_ATOM(herald, herald::protocol, get_atom, "hget")
CAF_ADD_ATOM(herald, herald::protocol, list_atom, "hlist")
CAF_ADD_ATOM(herald, herald::protocol, sources_atom, "hsources")
// Node. peer_up/peer_down are retired (registries talk through
// actors/cluster/peer_link.hpp); kept so the IDs after them do not move.
CAF_ADD_ATOM(herald, herald::protocol, peer_up_atom, "hpeerup")
CAF_ADD_ATOM(herald, herald::protocol, peer_down_atom, "hpeerdown")
CAF_ADD_ATOM(herald, herald::protocol, stats_atom, "hstats")
CAF_ADD_ATOM(herald, herald::protocol, drained_atom, "hdrained")
CAF_ADD_ATOM(herald, herald::protocol, sweep_atom, "hsweep")
CAF_ADD_ATOM(herald, herald::protocol, sweep_tick_atom, "hsweeptick")

CAF_ADD_TYPE_ID(herald, (herald::v1::Event))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::v1::Event>))
CAF_ADD_TYPE_ID(herald, (herald::protocol::event_ptrs))
CAF_ADD_TYPE_ID(herald, (herald::runtime::identity))
CAF_ADD_TYPE_ID(herald, (herald::protocol::publish_result))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::protocol::publish_result>))
CAF_ADD_TYPE_ID(herald, (herald::protocol::event_query))
CAF_ADD_TYPE_ID(herald, (herald::protocol::query_page))
CAF_ADD_TYPE_ID(herald, (herald::protocol::definition))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::protocol::definition>))
CAF_ADD_TYPE_ID(herald, (herald::protocol::definition_change))
CAF_ADD_TYPE_ID(herald, (herald::protocol::definition_result))
CAF_ADD_TYPE_ID(herald, (herald::protocol::source_info))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::protocol::source_info>))
CAF_ADD_TYPE_ID(herald, (herald::protocol::subscribe_spec))
CAF_ADD_TYPE_ID(herald, (herald::protocol::registry_stats))

CAF_END_TYPE_ID_BLOCK(herald)

namespace herald::protocol {

/// Registers every type of the block above with `cfg` (CAF 0.17 needs the
/// names of types that cross the network).
void add_message_types(caf::actor_system_config& cfg);

} // namespace herald::protocol
