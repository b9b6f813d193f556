// (b) publish → live WebSocket subscriber. One subscriber (or
// --subscribers N, fan-out: every one counted) on
// /api/v1/events/stream (live, no filter) reads every frame and takes
// now − "t" (the scheduled publish time, same process, monotonic clock) as
// the event's latency; a paced_publisher offers `rate` events/s over HTTP.
// The first `warmup` seconds are discarded. Latency covers HTTP decode,
// group commit (fsync), routing, the stream actor and the WebSocket write.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
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
  const size_t n_subs = std::max<size_t>(opts.subscribers, 1);
  std::vector<std::unique_ptr<ws_conn>> subs;
  for (size_t i = 0; i < n_subs; ++i) {
    subs.push_back(std::make_unique<ws_conn>());
    if (auto err = subs.back()->connect(
            sub_host, sub_port, "/api/v1/events/stream", 0, node.token());
        !err.empty())
      return {{"error", "subscribe: " + err}};
  }

  auto start_ns = mono_ns() + 200'000'000; // let the subscriptions settle
  auto measure_from = start_ns + static_cast<int64_t>(opts.warmup * 1e9);
  auto end_ns = measure_from + static_cast<int64_t>(opts.seconds * 1e9);

  /// One subscriber's reader: what it received and its latencies.
  struct reader_state {
    std::vector<int64_t> latencies;
    std::atomic<uint64_t> received{0};
    uint64_t received_measured = 0;
  };
  std::vector<std::unique_ptr<reader_state>> states;
  std::vector<std::thread> readers;
  for (size_t i = 0; i < n_subs; ++i) {
    states.push_back(std::make_unique<reader_state>());
    auto* st = states.back().get();
    st->latencies.reserve(static_cast<size_t>(opts.rate * opts.seconds * 1.1));
    readers.emplace_back([&, st, ws = subs[i].get()] {
      std::string frame;
      while (ws->read(frame)) {
        auto now = mono_ns();
        auto t = field_after(frame, "\"t\":");
        if (t <= 0)
          continue;
        ++st->received;
        if (t >= measure_from && t < end_ns) {
          st->latencies.push_back(now - t);
          ++st->received_measured;
        }
      }
    });
  }
  auto all_received = [&] {
    uint64_t least = UINT64_MAX;
    for (auto& st : states)
      least = std::min<uint64_t>(least, st->received);
    return least;
  };

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
  for (int i = 0; i < 500 && all_received() < pub.sent(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& ws : subs)
    ws->abort();
  for (auto& r : readers)
    r.join();
  std::vector<int64_t> latencies;
  uint64_t received = 0;
  uint64_t received_measured = 0;
  uint64_t missing = 0;
  for (auto& st : states) {
    latencies.insert(latencies.end(), st->latencies.begin(),
                     st->latencies.end());
    received += st->received;
    received_measured += st->received_measured;
    missing += pub.sent() > st->received ? pub.sent() - st->received : 0;
  }

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
      {"subscribers", n_subs},
      {"received", received},
      {"missing", missing},
      {"measured_events", received_measured},
      {"offered_measured", offered_measured},
      {"max_send_lag_ms", static_cast<double>(pub.max_lag_ns()) / 1e6},
      {"latency", lat.to_json()},
      {"ended", subs.front()->ended_because()}};
  run["summary"] = fixed(delivered_eps, 0) + " events/s delivered (" +
                   std::to_string(n_subs) + " subscriber(s)) of " +
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
                {"subscribers", opts.subscribers},
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
