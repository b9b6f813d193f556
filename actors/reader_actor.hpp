#pragma once

// Readers: answer queries and lookups from the store on their own threads,
// so RocksDB reads never block the cooperative scheduler. A node runs a
// small round-robin pool of them (spawn_readers); the pool is what
// node_handles::readers holds and what the HTTP layer and stream actors ask.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::actors {

/// Messages of one reader (the pool takes the same ones).
///
/// - `(query_atom, protocol::event_query q, runtime::identity who)
///      -> protocol::query_page`
///   Runs `q` as `who` (DESIGN §3/§7: events `who` may not see are never
///   returned). Errors: the store's (invalid_cursor for a bad `after`,
///   invalid_pattern, storage failures).
///
/// - `(fetch_atom, std::string id, runtime::identity who) -> v1::Event`
///   The stored event with `id`. Errors: runtime::errc::not_found (field
///   "id") when unknown or not visible to `who` - the same answer for both,
///   so existence does not leak.
///
/// - `(scopes_atom, std::string parent, std::string after, uint32_t limit,
///    runtime::identity who) -> scope_listing`
///   One level of the scope tree as `who` may see it (storage::
///   event_store::list_scopes). Errors: invalid_scope ("parent"),
///   invalid_parameter ("after"), storage failures.
using reader_actor = caf::typed_actor<
    caf::replies_to<query_atom, protocol::event_query,
                    runtime::identity>::with<protocol::query_page>,
    caf::replies_to<fetch_atom, std::string,
                    runtime::identity>::with<v1::Event>,
    caf::replies_to<scopes_atom, std::string, std::string, uint32_t,
                    runtime::identity>::with<scope_listing>>;

/// Spawns one reader; detached (own thread) unless `inline_io` (the
/// deterministic test scheduler).
reader_actor spawn_reader(caf::actor_system& sys,
                          std::shared_ptr<const storage::event_store> store,
                          bool inline_io = false);

/// Spawns a caf::actor_pool of `count` readers (at least 1) dispatching
/// round-robin. Replies come from the worker. An exit message to the pool
/// stops the workers too.
caf::actor spawn_readers(caf::actor_system& sys,
                         std::shared_ptr<const storage::event_store> store,
                         size_t count = 2, bool inline_io = false);

} // namespace herald::actors
