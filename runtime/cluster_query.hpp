#pragma once

// The pure half of a cluster query (DESIGN §6: "Queries fan out to all live
// nodes and merge by (time, node, seq)"): the cluster cursor, which holds
// each node's position, and the merge of the nodes' pages into one. The API
// (tools/api/cluster_reads) asks the nodes; this decides what the reply
// holds and where the next page starts. Pure functions, thread-safe.
//
// Each node answers its part in its own order (by seq, asc or desc, as a
// query of one node does). The merge repeatedly takes, of the nodes' next
// events, the first by (time, node, seq) — the last for desc — so each
// node's events keep their order and, when every node's events are in time
// order (the usual case: `time` defaults to when the node took the event),
// the page is in time order. It stops at `limit` events, or as soon as a
// node that has more than it sent runs out of events in its page: what that
// node has next is unknown, so nothing after it can be placed yet.
//
//   node page:  e1 e2 e3 [next]     taken: e1 e2   → position: after e2
//               e4 e5   [end]       taken: e4 e5   → done
//               (no answer)                        → position unchanged
//
// A node's position is its own query cursor (runtime/query_cursor.hpp):
// the `next` it handed back when the page took all of its events, else a
// cursor right after the last event taken (built from that event's seq).

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "herald/v1/event.pb.h"

namespace herald::runtime {

/// Where one node's part of a cluster query stands.
struct node_position {
  /// The node's own cursor to resume after; "" = from its first event.
  std::string after;
  /// The node has nothing more for this query.
  bool done = false;

  friend bool operator==(const node_position&, const node_position&) = default;
};

/// The `next` / `after` of a cluster query. A node it does not name starts
/// from its first event (a node that joined since the first page).
struct cluster_cursor {
  bool descending = false;
  std::map<std::string, node_position, std::less<>> nodes;

  friend bool operator==(const cluster_cursor&,
                         const cluster_cursor&) = default;
};

/// What every cluster cursor starts with. A node's own cursor (16
/// base64url characters) never contains a '.', so the two cannot be mixed
/// up.
inline constexpr std::string_view cluster_cursor_prefix = "c1.";

/// Does `text` claim to be a cluster cursor (it may still be invalid)?
inline bool is_cluster_cursor(std::string_view text) noexcept {
  return text.starts_with(cluster_cursor_prefix);
}

/// `c1.` + base64url (no padding) of
/// `{"o":"a"|"d","n":{"<node>":{"after":"<cursor>"}|{}|{"done":true}}}`.
std::string encode_cluster_cursor(const cluster_cursor& c);

/// Reads a cluster cursor for a query in the given order. Anything else —
/// no prefix, bad base64url or JSON, unknown keys, a node id that is not
/// 1-256 printable characters, a node cursor that is not a valid cursor of
/// this order (query_cursor.hpp), a cursor of the other order — is
/// errc::invalid_cursor with field "after".
caf::expected<cluster_cursor> decode_cluster_cursor(std::string_view text,
                                                    bool descending);

/// Does `a` come before `b` in a merged reply: by (time, node, seq),
/// ascending, or descending when `descending`?
bool merged_before(const v1::Event& a, const v1::Event& b,
                   bool descending) noexcept;

/// One node's answer to its part of a page.
struct node_page {
  std::string node;
  /// In the node's own order (by seq, as the query's order says).
  std::vector<v1::Event> events;
  /// The node's `next`; "" = it has nothing more.
  std::string next;
};

/// A merged page.
struct merged_page {
  std::vector<v1::Event> events;
  /// Every node's position after this page: the answering nodes' moved,
  /// the others' (nodes that did not answer) as they were in `from`.
  cluster_cursor next;
  /// Some answering node has more: hand `next` out. When false the reply
  /// has no `next`, even if a node that did not answer might have more
  /// (the reply says which nodes are missing).
  bool more = false;
};

/// Merges the pages of the nodes that answered (one page per node, nodes
/// unique) into at most `limit` events, from the positions in `from`.
merged_page merge_pages(const cluster_cursor& from,
                        std::vector<node_page> pages, size_t limit);

} // namespace herald::runtime
