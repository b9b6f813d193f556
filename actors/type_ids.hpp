#pragma once

// Atoms and message types of herald::actors, declared once (STYLE §5).
//
// Atom texts are at most 10 characters and start with `h` so they never equal
// one of CAF's own atoms (`flush`, `subscribe`, `get`, ...): in CAF 0.17 an
// atom is its text, and a clash would let CAF's handlers and ours see each
// other's messages.
//
// Every type below travels between local actors only (this issue is
// single-node), so it is whitelisted with CAF_ALLOW_UNSAFE_MESSAGE_TYPE
// instead of getting an `inspect` overload; the cluster issue adds
// serialized forms for what crosses the network. CAF 0.17.6 does not need
// the type-ID block at runtime; it is kept so the move to CAF 0.18+ only
// needs `init_global_meta_objects`.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/type_id.hpp>

#include "actors/routing_table.hpp"
#include "herald/v1/event.pb.h"
#include "runtime/identity.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

/// Snapshot of the registry's table, for tests, metrics and heraldctl.
struct registry_stats {
  size_t local_subscriptions = 0;
  size_t subscribers = 0; ///< distinct local subscriber actors
  size_t peers = 0;       ///< peer nodes known (DESIGN §6)
  uint64_t last_routed_seq = 0;
  uint64_t routed_events = 0; ///< events received from the writer
  uint64_t deliveries = 0;    ///< deliver messages sent
  /// Queue groups with at least one member (DESIGN §4 `queue=NAME`).
  size_t queue_groups = 0;
  /// Undelivered events of leaving queue members given to another member.
  uint64_t queue_handed_over = 0;
  /// Undelivered events of leaving queue members no member was left for.
  uint64_t queue_dropped = 0;
};

} // namespace herald::actors

CAF_BEGIN_TYPE_ID_BLOCK(herald, caf::first_custom_type_id)

CAF_ADD_ATOM(herald, herald::actors, write_atom, "hwrite")
CAF_ADD_ATOM(herald, herald::actors, flush_atom, "hflush")
CAF_ADD_ATOM(herald, herald::actors, commit_atom, "hcommit")
CAF_ADD_ATOM(herald, herald::actors, route_atom, "hroute")
CAF_ADD_ATOM(herald, herald::actors, subscribe_atom, "hsubscr")
CAF_ADD_ATOM(herald, herald::actors, unsubscribe_atom, "hunsubscr")
CAF_ADD_ATOM(herald, herald::actors, deliver_atom, "hdeliver")
CAF_ADD_ATOM(herald, herald::actors, peer_up_atom, "hpeerup")
CAF_ADD_ATOM(herald, herald::actors, peer_down_atom, "hpeerdown")
CAF_ADD_ATOM(herald, herald::actors, stats_atom, "hstats")
CAF_ADD_ATOM(herald, herald::actors, query_atom, "hquery")
CAF_ADD_ATOM(herald, herald::actors, fetch_atom, "hfetch")
CAF_ADD_ATOM(herald, herald::actors, drained_atom, "hdrained")
CAF_ADD_ATOM(herald, herald::actors, sweep_atom, "hsweep")
CAF_ADD_ATOM(herald, herald::actors, sweep_tick_atom, "hsweeptick")
CAF_ADD_ATOM(herald, herald::actors, define_atom, "hdefine")
CAF_ADD_ATOM(herald, herald::actors, identity_atom, "hidentity")

CAF_ADD_TYPE_ID(herald, (herald::v1::Event))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::v1::Event>))
CAF_ADD_TYPE_ID(herald, (herald::actors::event_ptrs))
CAF_ADD_TYPE_ID(herald, (herald::storage::append_result))
CAF_ADD_TYPE_ID(herald, (std::vector<herald::storage::append_result>))
CAF_ADD_TYPE_ID(herald, (herald::storage::event_query))
CAF_ADD_TYPE_ID(herald, (herald::storage::query_page))
CAF_ADD_TYPE_ID(herald, (herald::runtime::identity))
CAF_ADD_TYPE_ID(herald, (herald::actors::subscription))
CAF_ADD_TYPE_ID(herald, (herald::actors::registry_stats))

CAF_ADD_TYPE_ID(herald, (herald::storage::definition_write))
CAF_ADD_TYPE_ID(herald, (herald::storage::definition_result))
CAF_END_TYPE_ID_BLOCK(herald)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::v1::Event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::v1::Event>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::event_ptrs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::storage::append_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::storage::append_result>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::storage::event_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::storage::query_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::runtime::identity)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::subscription)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::registry_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::storage::definition_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::storage::definition_result)
