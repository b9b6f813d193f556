#pragma once

// Node-internal message types of herald::actors: the routing table's
// subscription (it carries a queue gate shared with a local sink), which
// travels between local actors only, and the registry's gap notice to its
// local subscribers. It is whitelisted with
// CAF_ALLOW_UNSAFE_MESSAGE_TYPE instead of getting an inspect() overload;
// no message carries a storage type (actors translate with
// storage_codec.hpp). Whatever may cross the node port is in
// actors/protocol/type_ids.hpp (the `herald` block) and
// actors/cluster/type_ids.hpp (`herald_cluster`, which this block follows).
// The atoms are protocol's, visible here unqualified.
//
// CAF 0.17.6 does not need the type-ID blocks at runtime; they are kept so
// the move to CAF 0.18+ only needs `init_global_meta_objects`.

#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "actors/cluster/replicated_definition.hpp"
#include "actors/cluster/type_ids.hpp"
#include "actors/protocol/type_ids.hpp"
#include "actors/routing_table.hpp"

namespace herald::actors {

using protocol::commit_atom;
using protocol::define_atom;
using protocol::deliver_atom;
using protocol::drained_atom;
using protocol::fetch_atom;
using protocol::flush_atom;
using protocol::get_atom;
using protocol::identity_atom;
using protocol::list_atom;
using protocol::publish_atom;
using protocol::query_atom;
using protocol::route_atom;
using protocol::sources_atom;
using protocol::stats_atom;
using protocol::subscribe_atom;
using protocol::sweep_atom;
using protocol::sweep_tick_atom;
using protocol::unsubscribe_atom;
using protocol::write_atom;

using protocol::commit_atom_v;
using protocol::define_atom_v;
using protocol::deliver_atom_v;
using protocol::drained_atom_v;
using protocol::fetch_atom_v;
using protocol::flush_atom_v;
using protocol::get_atom_v;
using protocol::identity_atom_v;
using protocol::list_atom_v;
using protocol::publish_atom_v;
using protocol::query_atom_v;
using protocol::route_atom_v;
using protocol::sources_atom_v;
using protocol::stats_atom_v;
using protocol::subscribe_atom_v;
using protocol::sweep_atom_v;
using protocol::sweep_tick_atom_v;
using protocol::unsubscribe_atom_v;
using protocol::write_atom_v;

using protocol::registry_stats;

/// One level of the scope tree, as a reader answers it (storage::
/// scope_page): full scope paths in byte order, and the last one examined
/// to resume after ("" at the end).
struct scope_listing {
  std::vector<std::string> scopes;
  std::string next;
};

} // namespace herald::actors

CAF_BEGIN_TYPE_ID_BLOCK(herald_actors, caf::id_block::herald_cluster::end)

CAF_ADD_TYPE_ID(herald_actors, (herald::actors::subscription))

// definition_actor.cpp: the cluster's definition records, from the watch
// thread to the node's definition actor.
CAF_ADD_ATOM(herald_actors, herald::actors, replicate_atom, "hdefrepl")
CAF_ADD_TYPE_ID(herald_actors,
                (std::vector<herald::cluster::replicated_definition>))

// `(peer_gap_atom, std::string node, uint64_t first_seq, uint64_t last_seq,
// uint64_t count)`: the registry tells a plain subscription with peer_events
// that peer `node` dropped `count` of its events with seqs first..last that may
// have matched (actors/README.md, "Peers").
CAF_ADD_ATOM(herald_actors, herald::actors, peer_gap_atom, "hpeergap")

// reader_actor.hpp: `(scopes_atom, parent, after, limit, who) ->
// scope_listing`.
CAF_ADD_ATOM(herald_actors, herald::actors, scopes_atom, "hscopes")
CAF_ADD_TYPE_ID(herald_actors, (herald::actors::scope_listing))

CAF_END_TYPE_ID_BLOCK(herald_actors)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(
    std::vector<herald::cluster::replicated_definition>)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::subscription)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::scope_listing)
