#pragma once

// The typed actor interfaces that front ends (tools/api today; the client
// library, heraldctl and peer nodes with the cluster) use to talk to a node.
// Each message is documented as CAF's io/middleman_actor.hpp does.
//
// Identity is never read from these messages: a caller holds a
// session_actor bound to the identity its credential proved (actors/
// session_actor.hpp), and the session decides what that identity may do.
// The node-internal interfaces that do carry an identity (the writer's and
// the readers' in actors/) are reachable in-process only and never published
// on the node port.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/type_ids.hpp"

namespace herald::protocol {

/// What a subscriber (a stream, later a subscription or trigger actor)
/// receives from the registry.
///
/// - `(deliver_atom, event_ptrs events) -> void`
///   Newly stored events that match one of its subscriptions and that its
///   identity may see, in ascending seq order; one message per matching
///   subscription and routed batch. Nothing is sent twice: a subscriber
///   that replays the store up to the `last_routed_seq` its subscribe reply
///   named and then takes these messages sees every matching event once.
using subscriber_actor =
    caf::typed_actor<caf::reacts_to<deliver_atom, event_ptrs>>;

/// One caller's view of a node, bound to the identity its credential proved.
///
/// - `(publish_atom, std::vector<v1::Event> events)
///      -> std::vector<publish_result>`
///   Stores `events` (already validated, e.g. by runtime::decode_publish)
///   atomically and durably; one result per event in input order. Needs the
///   publisher role (runtime::errc::forbidden otherwise). Errors: conflict
///   (field "/id" or "/N/id") for an id stored as an event this caller may
///   not see; source_disabled; unavailable when the node is overloaded or
///   shutting down; the store's errors.
///
/// - `(query_atom, event_query q) -> query_page`
///   One page of the audit trail as this caller sees it. Needs the reader
///   role. Errors: invalid_cursor, invalid_pattern, the store's.
///
/// - `(fetch_atom, std::string id) -> v1::Event`
///   The stored event `id`. Needs the reader role. Errors: not_found (field
///   "id") whether unknown or not visible: existence does not leak.
///
/// - `(subscribe_atom, subscribe_spec spec, subscriber_actor to) -> uint64_t`
///   Routes every newly stored event matching `spec` that this caller may
///   see to `to` (which is monitored: its subscriptions end when it goes
///   down). Replies the last seq routed before the subscription took effect
///   (replay from the store up to it, then take deliveries). Needs the
///   reader role. Errors: invalid_pattern (field "name").
///
/// - `(unsubscribe_atom, std::string id) -> void`
///   Ends subscription `id` of this session's subscribers (idempotent).
///
/// - `(get_atom, std::string key) -> definition`
/// - `(list_atom, std::string prefix) -> std::vector<definition>`
///   Definitions by key / by key prefix. Admin role only (they include
///   users and token digests). Errors: not_found (field "key").
using session_actor = caf::typed_actor<
    caf::replies_to<publish_atom,
                    std::vector<v1::Event>>::with<std::vector<publish_result>>,
    caf::replies_to<query_atom, event_query>::with<query_page>,
    caf::replies_to<fetch_atom, std::string>::with<v1::Event>,
    caf::replies_to<subscribe_atom, subscribe_spec,
                    subscriber_actor>::with<uint64_t>,
    caf::reacts_to<unsubscribe_atom, std::string>,
    caf::replies_to<get_atom, std::string>::with<definition>,
    caf::replies_to<list_atom, std::string>::with<std::vector<definition>>>;

/// The node's definitions (users, tokens, config, sources; workflows,
/// triggers, topics and subscriptions next): one actor owns them, so every
/// change is ordered, carries its event, and reaches the in-memory views
/// (the auth tables) before it is answered. The front ends check roles
/// before asking; this interface trusts its caller (it is node-internal and
/// the one place a cluster replicates definitions from).
///
/// - `(define_atom, definition_change change, std::vector<v1::Event> events)
///      -> definition_result`
///   Commits `change` together with `events` (the system events announcing
///   it) in one atomic, durable write; then updates every view of the key's
///   prefix; then answers. Errors: conflict (field "version") when
///   expect_version is stale, not_found (field "key") deleting what is not
///   there, invalid_field, unavailable (writer overloaded or stopping), the
///   store's; an error from a view after the commit is answered as the
///   error (the change stays; the view has dropped the key: fail closed).
///
/// - `(get_atom, std::string key) -> definition`
///   The definition under `key`. Errors: not_found (field "key").
///
/// - `(list_atom, std::string prefix) -> std::vector<definition>`
///   Every definition whose key starts with `prefix`, in key order.
///
/// - `(sources_atom) -> std::vector<source_info>`
///   Every source seen or defined, in id order, with its counts.
using definitions_actor = caf::typed_actor<
    caf::replies_to<define_atom, definition_change,
                    std::vector<v1::Event>>::with<definition_result>,
    caf::replies_to<get_atom, std::string>::with<definition>,
    caf::replies_to<list_atom, std::string>::with<std::vector<definition>>,
    caf::replies_to<sources_atom>::with<std::vector<source_info>>>;

} // namespace herald::protocol
