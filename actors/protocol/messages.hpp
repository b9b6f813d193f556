#pragma once

// The message types of herald::protocol: what publish, query, subscribe and
// definition requests carry and answer. Plain structs with CAF 0.17
// inspect() overloads, so each may cross the node port; none is a storage
// type (the actors translate to and from storage/).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "actors/protocol/inspect.hpp"
#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"

namespace herald::protocol {

/// A stored event shared read-only between the writer, the registry and
/// every subscriber it is routed to. Serialised as the event's bytes.
using event_ptr = std::shared_ptr<const v1::Event>;
using event_ptrs = std::vector<event_ptr>;

/// The outcome of one published event, in the order of the request.
struct publish_result {
  std::string id;
  uint64_t seq = 0;
  bool duplicate = false; ///< id already stored: seq is the stored event's
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_result& x) {
  return f(caf::meta::type_name("herald.publish_result"), x.id, x.seq,
           x.duplicate);
}

/// A query of DESIGN §3/§7. All present predicates must hold (AND).
struct event_query {
  std::optional<std::string> name;   ///< name pattern (`*`, `>`)
  std::optional<std::string> source; ///< exact
  std::optional<std::string> tenant; ///< exact
  std::optional<std::string> user;   ///< exact
  std::optional<std::string> scope;  ///< whole-segment prefix
  std::optional<int64_t> since_ns;   ///< inclusive, on event time
  std::optional<int64_t> until_ns;   ///< exclusive, on event time
  std::optional<runtime::content_filter> filter;
  std::optional<std::string> after; ///< cursor from a page's `next`
  std::optional<uint64_t> from_seq; ///< inclusive seq lower bound (streams)
  bool descending = false;          ///< order by seq desc
  size_t limit = 100;               ///< 1..1000
  /// Max work before a page comes back early with a `next` cursor.
  size_t scan_budget = 20000;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_query& x) {
  return f(caf::meta::type_name("herald.event_query"), opt(x.name),
           opt(x.source), opt(x.tenant), opt(x.user), opt(x.scope),
           opt(x.since_ns), opt(x.until_ns), opt(x.filter), opt(x.after),
           opt(x.from_seq), x.descending, x.limit, x.scan_budget);
}

/// One page of query results.
struct query_page {
  std::vector<v1::Event> events;
  /// Opaque cursor to pass as `after`; empty at the end of the results.
  std::string next;
  /// Every seq up to (asc) / down to (desc) this one has been examined.
  uint64_t last_examined_seq = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_page& x) {
  return f(caf::meta::type_name("herald.query_page"), x.events, x.next,
           x.last_examined_seq);
}

/// A definition (a config value, a user, a service token, a source's
/// setting): a small JSON document under a key such as "config/db",
/// versioned from 1 on its first write.
struct definition {
  std::string key;
  std::string value;
  uint64_t version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition& x) {
  return f(caf::meta::type_name("herald.definition"), x.key, x.value,
           x.version);
}

/// One change of a definition.
struct definition_change {
  definition_change() = default;
  definition_change(std::string k, std::optional<std::string> v,
                    std::optional<uint64_t> expect = std::nullopt,
                    std::optional<uint64_t> replica = std::nullopt)
      : key(std::move(k)), value(std::move(v)), expect_version(expect),
        replica_version(replica) {}

  std::string key;
  std::optional<std::string> value; ///< nullopt deletes the definition
  /// Optimistic concurrency: the version the caller last saw (0 = "must
  /// not exist yet"); nullopt writes unconditionally.
  std::optional<uint64_t> expect_version;
  /// Node-internal, set only by a node's definition actor when it applies a
  /// cluster-wide change (storage::definition_write::replica_version);
  /// ignored from any other caller.
  std::optional<uint64_t> replica_version;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition_change& x) {
  return f(caf::meta::type_name("herald.definition_change"), x.key,
           opt(x.value), opt(x.expect_version), opt(x.replica_version));
}

/// What a committed definition change answers.
struct definition_result {
  /// The definition's version after a put; the deleted version for a delete.
  uint64_t version = 0;
  /// One per event committed with the change, in input order.
  std::vector<publish_result> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition_result& x) {
  return f(caf::meta::type_name("herald.definition_result"), x.version,
           x.events);
}

/// A source (DESIGN §4, seed 002) and its counts.
struct source_info {
  std::string id;
  bool enabled = true;
  uint64_t events = 0;
  uint64_t last_seq = 0;      ///< 0 when no event came from it yet
  int64_t last_accept_ns = 0; ///< accept time of last_seq
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_info& x) {
  return f(caf::meta::type_name("herald.source_info"), x.id, x.enabled,
           x.events, x.last_seq, x.last_accept_ns);
}

/// What a subscriber asks a session for (DESIGN §4 stream parameters).
/// The caller's identity is the session's, never part of the request.
struct subscribe_spec {
  std::string id;                   ///< unique per node; replaces on reuse
  std::optional<std::string> name;  ///< name pattern; absent = all
  std::optional<std::string> scope; ///< whole-segment scope prefix
  std::optional<runtime::content_filter> filter;
  std::string queue; ///< queue group; empty = every matching event
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe_spec& x) {
  return f(caf::meta::type_name("herald.subscribe_spec"), x.id, opt(x.name),
           opt(x.scope), opt(x.filter), x.queue);
}

/// Snapshot of a registry's table, for tests, metrics and heraldctl.
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
  /// Undelivered events of leaving queue members no member was left for
  /// (and peer events for a group no local member matched).
  uint64_t queue_dropped = 0;
  // Peers (DESIGN §6; actors/README.md "Peers"). Totals since start unless
  // "now".
  uint64_t peer_batches_sent = 0;     ///< event batches sent to peers
  uint64_t peer_events_sent = 0;      ///< events in them
  uint64_t peer_batches_received = 0; ///< event batches from peers
  uint64_t peer_events_received = 0;  ///< events in them
  /// Events for peers dropped here: queue overflow, or queued at link down.
  uint64_t peer_events_dropped = 0;
  /// Events peers reported they dropped for this node (loss reports).
  uint64_t peer_events_lost = 0;
  uint64_t peer_batches_in_flight = 0; ///< now: sent, not acked
  uint64_t peer_events_in_flight = 0;  ///< now: in those batches
  uint64_t peer_events_queued = 0;     ///< now: waiting for a window
  /// Peer messages that did not decode (or came from a peer not up).
  uint64_t peer_rejected = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registry_stats& x) {
  return f(caf::meta::type_name("herald.registry_stats"), x.local_subscriptions,
           x.subscribers, x.peers, x.last_routed_seq, x.routed_events,
           x.deliveries, x.queue_groups, x.queue_handed_over, x.queue_dropped,
           x.peer_batches_sent, x.peer_events_sent, x.peer_batches_received,
           x.peer_events_received, x.peer_events_dropped, x.peer_events_lost,
           x.peer_batches_in_flight, x.peer_events_in_flight,
           x.peer_events_queued, x.peer_rejected);
}

} // namespace herald::protocol
