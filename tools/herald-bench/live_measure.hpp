#pragma once

// One measured live run, shared by `live`, `live-max` and `fanout`: an
// open-loop paced_publisher offers `rate` events/s over HTTP while
// `subscribers` WebSocket streams (/api/v1/events/stream, live, optional
// name pattern) each read on their own thread and take now − "t" (the
// event's scheduled publish time, this process's monotonic clock) as its
// latency. The first `warmup` seconds are discarded. Also the search for
// the highest rate that passes (live-max, fanout --find-max).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/herald-bench/bench_common.hpp"
#include "tools/herald-bench/heraldd_child.hpp"

namespace herald::bench {

/// Where to publish or subscribe: host, port and the bearer credential.
struct live_endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;
};

/// One measured run's parameters.
struct live_step_options {
  double rate = 10000;     ///< offered events/s (open loop)
  double seconds = 20;     ///< measured period
  double warmup = 2;       ///< seconds discarded first
  double tick_ms = 1;      ///< one batch every tick: rate * tick events
  size_t connections = 16; ///< publisher connections sharing the ticks
  size_t data_bytes = 256;
  size_t subscribers = 1; ///< WebSocket streams, one reader thread each
  std::string name;       ///< the streams' name pattern ("": every event)
  double drain_s = 5;     ///< at most this long for the last events after
                          ///< the publisher ended
};

/// One measured run's figures. Counts of deliveries are sums over the
/// subscribers.
struct live_step_result {
  std::string error; ///< set when the run could not be made (connect …)

  double offered_per_s = 0;
  /// Acknowledged events / (last reply − schedule start): below the offered
  /// rate when the publish path (node ingest or this client) fell behind.
  double published_per_s = 0;
  bool publisher_bound = false; ///< published_per_s < 95 % of offered
  uint64_t published = 0;       ///< acknowledged (200) events
  uint64_t publish_failures = 0;
  std::string first_failure;
  double max_send_lag_ms = 0;

  size_t subscribers = 0;
  uint64_t expected = 0;          ///< per subscriber: published, matching
  uint64_t offered_measured = 0;  ///< per subscriber: in the measured window
  std::vector<uint64_t> received; ///< per subscriber, the whole run
  uint64_t missing = 0;           ///< Σ expected − received
  uint64_t measured_events = 0;   ///< Σ received, scheduled in the window
  /// Σ received, scheduled in the window, per measured second (the `live`
  /// figure: reaches the offered rate whenever nothing is missing).
  double delivered_per_s = 0;
  /// Σ frames that *arrived* in the window (of any benchmark event), and
  /// per measured second: falls below the offered rate when a subscriber
  /// falls behind.
  uint64_t received_in_window = 0;
  double received_in_window_per_s = 0;
  double seconds = 0;    ///< the measured window
  latency_stats latency; ///< over every measured delivery
  size_t cut = 0;        ///< streams the node ended before we did
  std::string ended;     ///< the first cut stream's close reason

  /// Whether the run sustained its rate: nothing missing, no stream cut,
  /// no failed publish, the offered rate published, ≥ 95 % of it
  /// received within the window and p99 < `max_p99_ms`. `why` gets the
  /// reasons it did not.
  bool passes(double max_p99_ms, std::string* why = nullptr) const;

  nlohmann::json to_json() const;
};

/// Runs one measurement: publishes to `publish`, subscribes at `subscribe`.
live_step_result measure_live(const live_endpoint& publish,
                              const live_endpoint& subscribe,
                              const live_step_options& opts);

/// measure_live on `target` (a fresh spawned node tagged `tag`, removed
/// afterwards, or the running node at target.url), publishing to and
/// subscribing at that node.
live_step_result measure_live_on(const node_target& target,
                                 const std::string& tag,
                                 const live_step_options& opts);

/// One line for a step: offered, published, arrived, latency, missing and
/// whether it passed (with the reasons it did not).
std::string step_line(const live_step_result& res, double max_p99_ms);

/// Search bounds: double from `start` while a rate passes (at most up to
/// `max_rate`), then bisect between the last pass and the first failure
/// until they are within `precision` (a fraction of the pass). A failing
/// start is halved until a rate passes (not below `min_rate`).
struct rate_search_options {
  double start = 10000;
  double precision = 0.10;
  double max_rate = 1e6;
  double min_rate = 100;
};

/// The highest rate `step` passed (0 if none). `step` runs one measurement
/// at the rate given and says whether it passed.
double search_max_rate(const rate_search_options& opts,
                       const std::function<bool(double)>& step);

/// A whole search (live-max, fanout --find-max): measure_live_on at the
/// rates search_max_rate picks, each step with `base`'s other parameters
/// and printed as it ends ("<tag> step N: …"), then one step at half the
/// highest passing rate. The run's JSON: "steps", "max_rate", "at_max",
/// "at_half", "limit" (why the lowest failing rate failed); or "error".
nlohmann::json live_search(const node_target& target, const std::string& tag,
                           const live_step_options& base,
                           const rate_search_options& search,
                           double max_p99_ms);

/// "p50 X ms p99 Y ms" of a step in live_search's JSON ("at_max",
/// "at_half").
std::string step_latency(const nlohmann::json& step);

/// "; at half (R/s) p50 X ms p99 Y ms" (and "(that step failed)") when the
/// search ran its half-rate step, else "".
std::string at_half_summary(const nlohmann::json& run);

} // namespace herald::bench
