#pragma once

// The cluster half of the read endpoints (DESIGN §6: "Queries fan out to
// all live nodes and merge by (time, node, seq); a reply that misses a node
// says partial:true and which"). Only a node of a cluster (--etcd) has one;
// a node alone answers from its own trail, byte for byte as before.
//
//   query ─▶ node tracker: live members, nodes seen down
//        ├─▶ own part: readers (the local trail), as a query of one node
//        └─▶ each other live member: GET /api/v1/events with the caller's
//            own credential and `X-Herald-Fanout: local`, in parallel, each
//            within the deadline (http_fetcher's thread)
//   all in (or timed out) ─▶ runtime::merge_pages ─▶ reply + cluster cursor
//
// Each node resolves the credential and applies visibility itself: a peer
// is never asked to trust an identity (users, tokens and the JWT key are
// the cluster's). A peer that does not answer in time, answers 5xx or
// something unreadable, and every node seen down, is `missing`. A peer's
// 400/401/403 is the reply as it is (the same request was valid here: a
// credential revoked a moment ago, say).
//
// Thread-safety: calls may come from any thread; callbacks run on a CAF
// thread or the fetcher's thread, exactly once, and must only hand the
// result on (post a reply).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/node_tracker_actor.hpp"
#include "actors/protocol/messages.hpp"
#include "runtime/cluster_query.hpp"
#include "runtime/identity.hpp"
#include "runtime/text_util.hpp"
#include "tools/http/http_fetcher.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {

/// The header a node puts on its request for another node's part of a
/// cluster query. A request with `X-Herald-Fanout: local` is answered from
/// the receiving node's own trail only, as a node alone answers it; any
/// client may send it.
inline constexpr std::string_view fanout_header = "X-Herald-Fanout";

/// Does `req` ask for the receiving node's own part only?
bool is_local_only(const http::http_request& req);

/// The header that names, comma-separated, the nodes a reply misses where
/// its body has no room to say so (seed 004's bare arrays, a fetch's 503).
inline constexpr std::string_view partial_header = "X-Herald-Partial";

/// A node's refusal of its part, as the reply to the caller.
http::http_response relay_refusal(const http::http_fetcher::reply& r,
                                  unsigned version, bool keep_alive);

using runtime::percent_encode;

/// `ids` joined with ','.
std::string join_ids(const std::vector<std::string>& ids);

struct cluster_reads_options {
  /// This node's id (its own part is read locally).
  std::string self;
  /// Who the members are (live and seen down).
  actors::node_tracker_actor tracker;
  /// How long each other node has for its part.
  std::chrono::milliseconds deadline{2000};
};

/// A merged page of a cluster query, or why there is none.
struct cluster_page {
  std::vector<v1::Event> events;
  /// The cluster cursor of the next page; "" at the end.
  std::string next;
  /// Nodes whose part is not in the page, sorted.
  std::vector<std::string> missing;
  /// This node's own part failed: the reply is this error.
  caf::error error;
  /// A node refused its part (400/401/403): the reply is this one.
  std::optional<http::http_fetcher::reply> refusal;
};

/// What asking the other nodes for one event found.
struct cluster_fetch {
  /// The first node's 200 reply, as it sent it.
  std::optional<http::http_fetcher::reply> found;
  /// Nodes that could not say (no answer, 5xx, seen down), sorted.
  std::vector<std::string> missing;
  /// The membership is unknown: the reply is this error.
  caf::error error;
};

/// What every other node answered to one request.
struct cluster_gather {
  /// Each node's reply (any status), by node id.
  std::map<std::string, http::http_fetcher::reply> replies;
  /// Nodes that did not answer in time or are seen down, sorted.
  std::vector<std::string> missing;
  /// The membership is unknown: the reply is this error.
  caf::error error;
};

class cluster_reads {
public:
  cluster_reads(caf::actor_system& sys, caf::actor readers,
                cluster_reads_options opts);

  /// One page of `q` across the cluster from the positions in `from`
  /// (`q.after` is ignored: each node's comes from `from`). `params` are
  /// the query's parameters as the other nodes get them (decoded; no
  /// `after`, `limit`, `order` or `format`: those are added).
  void query(protocol::event_query q, runtime::cluster_cursor from,
             std::vector<std::pair<std::string, std::string>> params,
             runtime::identity who, std::string credential,
             std::function<void(cluster_page)> done);

  /// Asks every other live node for `target` (a `GET
  /// /api/v1/events/{id}…` target, percent-encoded); the first 200 wins.
  void fetch_elsewhere(std::string target, std::string credential,
                       std::function<void(cluster_fetch)> done);

  /// Asks every other live node for `target` (local-only, with the
  /// caller's credential) and waits for all of them (each within the
  /// deadline).
  void gather(std::string target, std::string credential,
              std::function<void(cluster_gather)> done);

  /// This node's id.
  const std::string& self() const noexcept { return opts_.self; }

private:
  caf::actor_system& sys_;
  caf::actor readers_;
  cluster_reads_options opts_;
  std::shared_ptr<http::http_fetcher> fetcher_;
};

} // namespace herald::api
