// (b) publish → live WebSocket subscriber. One subscriber on
// /api/v1/events/stream (live, no filter) reads every frame and takes
// now − "t" (the scheduled publish time, same process, monotonic clock) as
// the event's latency; a paced_publisher offers `rate` events/s over HTTP.
// The first `warmup` seconds are discarded. Latency covers HTTP decode,
// group commit (fsync), routing, the stream actor and the WebSocket write.

// The measurement itself is live_measure.cpp's (shared with live-max and
// fanout).

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "tools/herald-bench/live_measure.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

nlohmann::json live_once(const live_options& opts) {
  bench_node node;
  if (auto err = node.open(opts.node, "live"); !err.empty())
    return {{"error", err}};
  live_endpoint pub{node.host(), node.port(), node.token()};
  auto sub = pub;
  if (!opts.subscribe_url.empty()) {
    // http://HOST:PORT
    auto rest = opts.subscribe_url.substr(opts.subscribe_url.find("//") + 2);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos)
      return {{"error", "--subscribe-url needs http://HOST:PORT"}};
    sub.host = rest.substr(0, colon);
    sub.port = static_cast<uint16_t>(
        std::strtoul(rest.c_str() + colon + 1, nullptr, 10));
  }
  live_step_options step;
  step.rate = opts.rate;
  step.seconds = opts.seconds;
  step.warmup = opts.warmup;
  step.tick_ms = opts.tick_ms;
  step.connections = opts.connections;
  step.data_bytes = opts.data_bytes;
  step.subscribers = std::max<size_t>(opts.subscribers, 1);
  auto res = measure_live(pub, sub, step);
  if (!res.error.empty())
    return {{"error", res.error}};
  if (res.publish_failures > 0)
    return {
        {"error", std::to_string(res.publish_failures) +
                      " publish requests failed, first: " + res.first_failure}};
  auto run = res.to_json();
  const auto& lat = res.latency;
  run["summary"] =
      fixed(res.delivered_per_s, 0) + " events/s delivered" +
      (step.subscribers > 1
           ? " (" + std::to_string(step.subscribers) + " subscribers, summed)"
           : std::string{}) +
      " of " + fixed(opts.rate, 0) + " offered, latency p50 " +
      fixed(lat.p50_ms, 2) + " ms p99 " + fixed(lat.p99_ms, 2) + " ms max " +
      fixed(lat.max_ms, 2) + " ms (" + std::to_string(res.missing) +
      " missing, max send lag " + fixed(res.max_send_lag_ms, 2) + " ms)";
  return run;
}

} // namespace

int run_live(const live_options& opts) {
  report rep;
  rep.scenario = "live";
  rep.params = {{"rate", opts.rate},
                {"seconds", opts.seconds},
                {"warmup", opts.warmup},
                {"tick_ms", opts.tick_ms},
                {"connections", opts.connections},
                {"data_bytes", opts.data_bytes},
                {"durability", opts.node.durability},
                {"url", opts.node.url},
                {"subscribe_url", opts.subscribe_url},
                {"repeat", opts.repeat}};
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = live_once(opts);
    if (run.contains("error")) {
      std::cerr << "live: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/delivered_per_s", "/latency/p50_ms", "/latency/p99_ms",
                      "/latency/max_ms", "/missing"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
