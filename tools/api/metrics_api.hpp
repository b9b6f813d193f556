#pragma once

// `GET /metrics` (DESIGN §7): the node's figures in the Prometheus text
// format 0.0.4, collected at scrape time from where they are kept — the
// writer's counters, the streams' census, the store, the HTTP layer's own
// counters, the process — and rendered with runtime::metrics_text_writer.
// Every metric is listed in docs/API.md ("Metrics"); names follow the
// Prometheus conventions (base units, `_total` for counters) and are never
// renamed, only added.
//
// Also what the HTTP layer counts itself (api_metrics: rejected publishes,
// refused credentials, query latency).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actors/stream_actor.hpp"
#include "actors/writer_actor.hpp"
#include "runtime/metrics.hpp"
#include "tools/api/types.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {

/// What the HTTP layer counts itself. Thread-safe.
class api_metrics {
public:
  /// Counts a publish reply: a 4xx/5xx one as rejected, labelled with the
  /// `code` of its DESIGN §7 error body ("unknown" when it has none).
  void count_publish_reply(const http::http_response& res);

  /// Publishes rejected so far, by error code.
  std::map<std::string, uint64_t, std::less<>> rejected() const;
  /// Counts a request refused for its credential (unauthorized) or its
  /// role (forbidden).
  void count_auth_refusal(runtime::errc code) {
    (code == runtime::errc::forbidden ? forbidden_ : unauthorized_)
        .fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t unauthorized() const { return unauthorized_.load(); }
  uint64_t forbidden() const { return forbidden_.load(); }

  /// Seconds from a valid query reaching node_api to its reply being ready
  /// (reader round trip plus encoding; failed reads included).
  runtime::metric_histogram query_seconds{runtime::latency_buckets_seconds()};

private:
  mutable std::mutex mtx_; // only taken on rejections and scrapes
  std::map<std::string, uint64_t, std::less<>> rejected_;
  std::atomic<uint64_t> unauthorized_{0};
  std::atomic<uint64_t> forbidden_{0};
};

/// Where the page's figures come from. Null sources are left out.
/// The store's figures at scrape time (the daemon reads them from the
/// store; the API never includes storage).
struct store_figures {
  uint64_t size_bytes = 0; ///< SST files plus memtables
  uint64_t last_seq = 0;
  uint64_t table_readers_bytes = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t memtable_bytes = 0;
};

struct metrics_sources {
  std::shared_ptr<const actors::writer_metrics> writer;
  std::shared_ptr<const actors::stream_stats> streams;
  /// Called on every scrape; thread-safe.
  std::function<store_figures()> store;
  std::shared_ptr<const api_metrics> api;
  /// More families, appended in order after the node's own (e.g. the
  /// retention engine's deleted-event counters). Each must write whole
  /// families with names not used elsewhere on the page.
  std::vector<std::function<void(runtime::metrics_text_writer&)>> extra;
  /// `GET /api/v1/actors`: the node's actors and the work queued at each,
  /// as a JSON array text (the daemon builds it from the same counters).
  std::function<std::string()> actors;
};

/// The page. Thread-safe as far as the sources are (all of them are).
std::string render_metrics(const metrics_sources& src);

/// The `/metrics` HTTP response: 200, Content-Type
/// metrics_text_writer::content_type, the rendered page.
http::http_response metrics_response(const metrics_sources& src,
                                     unsigned version, bool keep_alive);

/// The `/metrics` resource: GET (and HEAD) with the reader role; and
/// `GET /api/v1/actors` (admin): {"actors":[{"kind","id","node","depth",
/// …}]} — what heraldctl actors shows.
class metrics_api {
public:
  /// What the page shows. Call once, before serving (until then the page
  /// has the process metrics only).
  void set_sources(metrics_sources src) { sources_ = std::move(src); }

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  metrics_sources sources_; ///< set once, before serving
};

} // namespace herald::api
