// (b) publish → live WebSocket subscriber. One subscriber on
// /api/v1/events/stream (live, no filter) reads every frame and takes
// now − "t" (the scheduled publish time, same process, monotonic clock) as
// the event's latency; a paced_publisher offers `rate` events/s over HTTP.
// The first `warmup` seconds are discarded. Latency covers HTTP decode,
// group commit (fsync), routing, the stream actor and the WebSocket write.

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/paced_publisher.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

/// The integer after `"key":` in `frame` (first occurrence), or -1.
int64_t field_after(const std::string& frame, std::string_view key) {
  auto pos = frame.find(key);
  if (pos == std::string::npos)
    return -1;
  return std::strtoll(frame.c_str() + pos + key.size(), nullptr, 10);
}

nlohmann::json live_once(const live_options& opts) {
  bench_node node;
  if (auto err = node.open(opts.node, "live"); !err.empty())
    return {{"error", err}};
  std::string sub_host = node.host();
  auto sub_port = node.port();
  if (!opts.subscribe_url.empty()) {
    // http://HOST:PORT
    auto rest = opts.subscribe_url.substr(opts.subscribe_url.find("//") + 2);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos)
      return {{"error", "--subscribe-url needs http://HOST:PORT"}};
    sub_host = rest.substr(0, colon);
    sub_port = static_cast<decltype(sub_port)>(
        std::strtoul(rest.c_str() + colon + 1, nullptr, 10));
  }
  ws_conn ws;
  if (auto err = ws.connect(sub_host, sub_port, "/api/v1/events/stream", 0,
                            node.token());
      !err.empty())
    return {{"error", "subscribe: " + err}};

  auto start_ns = mono_ns() + 200'000'000; // let the subscription settle
  auto measure_from = start_ns + static_cast<int64_t>(opts.warmup * 1e9);
  auto end_ns = measure_from + static_cast<int64_t>(opts.seconds * 1e9);

  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(opts.rate * opts.seconds * 1.1));
  std::atomic<uint64_t> received{0};
  uint64_t received_measured = 0;
  std::thread reader{[&] {
    std::string frame;
    while (ws.read(frame)) {
      auto now = mono_ns();
      auto t = field_after(frame, "\"t\":");
      if (t <= 0)
        continue;
      ++received;
      if (t >= measure_from && t < end_ns) {
        latencies.push_back(now - t);
        ++received_measured;
      }
    }
  }};

  paced_publisher_options popts;
  popts.host = node.host();
  popts.port = node.port();
  popts.token = node.token();
  popts.rate = opts.rate;
  popts.tick_ms = opts.tick_ms;
  popts.connections = opts.connections;
  popts.data_bytes = opts.data_bytes;
  paced_publisher pub{popts};
  pub.start(start_ns, end_ns);
  pub.join();
  // Drain: wait (bounded) until every acknowledged event arrived.
  for (int i = 0; i < 500 && received < pub.sent(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ws.abort();
  reader.join();

  if (pub.failures() > 0)
    return {{"error",
             std::to_string(pub.failures()) +
                 " publish requests failed, first: " + pub.first_failure()}};
  auto offered_measured = opts.rate * opts.seconds;
  auto lat = summarize(latencies);
  double delivered_eps = static_cast<double>(received_measured) / opts.seconds;
  nlohmann::json run{
      {"offered_per_s", opts.rate},
      {"delivered_per_s", delivered_eps},
      {"published", pub.sent()},
      {"received", received.load()},
      {"missing", pub.sent() > received ? pub.sent() - received : 0},
      {"measured_events", received_measured},
      {"offered_measured", offered_measured},
      {"max_send_lag_ms", static_cast<double>(pub.max_lag_ns()) / 1e6},
      {"latency", lat.to_json()},
      {"ended", ws.ended_because()}};
  run["summary"] = fixed(delivered_eps, 0) + " events/s delivered of " +
                   fixed(opts.rate, 0) + " offered, latency p50 " +
                   fixed(lat.p50_ms, 2) + " ms p99 " + fixed(lat.p99_ms, 2) +
                   " ms max " + fixed(lat.max_ms, 2) + " ms (" +
                   std::to_string(run["missing"].get<uint64_t>()) +
                   " missing, max send lag " +
                   fixed(run["max_send_lag_ms"].get<double>(), 2) + " ms)";
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
