// Memory: a spawned heraldd's RSS when idle (after `idle_seconds`), then
// sampled every `sample_s` over `seconds` of sustained publishing at `rate`
// with one stalled WebSocket subscriber (connected with a 4 KiB receive
// buffer, never read until the end). Flat means: the RSS of the last
// minute is not above the RSS after the first minute beyond noise; the
// stalled stream should be closed with 1008 slow_consumer. Once a minute
// (and at the end) the node's /metrics gives the store's memory: table
// readers outside the block cache, block cache usage, memtables.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <sstream>
#include <thread>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/paced_publisher.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

/// The store's memory gauges from one /metrics scrape (MiB), or null.
nlohmann::json scrape_store_memory(http_conn& conn, double at_s) {
  auto res = conn.get("/metrics");
  if (!res.ok())
    return nullptr;
  nlohmann::json out{{"at_s", at_s}};
  std::istringstream in{res.body};
  std::string line;
  for (const char* name :
       {"herald_store_table_readers_bytes", "herald_store_block_cache_bytes",
        "herald_store_memtable_bytes", "process_resident_memory_bytes"}) {
    in.clear();
    in.seekg(0);
    std::string prefix = std::string{name} + " ";
    while (std::getline(in, line))
      if (line.rfind(prefix, 0) == 0) {
        out[std::string{name}.substr(0, std::string{name}.size() - 6) +
            "_mib"] = std::stod(line.substr(prefix.size())) / (1 << 20);
        break;
      }
  }
  return out;
}

} // namespace

int run_rss(const rss_options& opts) {
  report rep;
  rep.scenario = "rss";
  rep.params = {{"idle_seconds", opts.idle_seconds},
                {"seconds", opts.seconds},
                {"rate", opts.rate},
                {"sample_s", opts.sample_s},
                {"data_bytes", opts.data_bytes},
                {"durability", opts.node.durability}};
  rep.load_before = load_average();
  if (!opts.node.url.empty()) {
    std::cerr << "rss: needs a spawned node (no --url)\n";
    return 1;
  }
  bench_node node;
  if (auto err = node.open(opts.node, "rss"); !err.empty()) {
    std::cerr << "rss: " << err << "\n";
    return 1;
  }
  std::this_thread::sleep_for(
      std::chrono::milliseconds(static_cast<int64_t>(opts.idle_seconds * 1e3)));
  auto idle = rss_kib(node.pid()).value_or(0);

  ws_conn stalled;
  if (auto err = stalled.connect(node.host(), node.port(),
                                 "/api/v1/events/stream", 4096, node.token());
      !err.empty()) {
    std::cerr << "rss: stalled subscriber: " << err << "\n";
    return 1;
  }
  paced_publisher_options popts;
  popts.host = node.host();
  popts.port = node.port();
  popts.token = node.token();
  popts.rate = opts.rate;
  popts.data_bytes = opts.data_bytes;
  popts.connections = opts.connections;
  paced_publisher pub{popts};
  auto start_ns = mono_ns() + 100'000'000;
  auto end_ns = start_ns + static_cast<int64_t>(opts.seconds * 1e9);
  pub.start(start_ns, end_ns);

  std::vector<long> samples; // KiB, one per sample_s
  http_conn metrics_conn{node.host(), node.port(), node.token()};
  auto memory = nlohmann::json::array();
  auto next_scrape = mono_ns() + 60'000'000'000;
  auto step =
      std::chrono::nanoseconds(static_cast<int64_t>(opts.sample_s * 1e9));
  auto next = clock_type::now() + step;
  while (mono_ns() < end_ns) {
    std::this_thread::sleep_until(next);
    next += step;
    samples.push_back(rss_kib(node.pid()).value_or(0));
    if (mono_ns() >= next_scrape) {
      next_scrape += 60'000'000'000;
      memory.push_back(scrape_store_memory(
          metrics_conn, static_cast<double>(mono_ns() - start_ns) / 1e9));
    }
  }
  pub.join();
  memory.push_back(scrape_store_memory(
      metrics_conn, static_cast<double>(mono_ns() - start_ns) / 1e9));

  // How did the stalled stream end? Drain what the socket holds.
  std::string frame;
  std::atomic<bool> drained{false};
  std::thread reader{[&] {
    while (stalled.read(frame)) {
    }
    drained = true;
  }};
  auto until = clock_type::now() + std::chrono::seconds(10);
  while (!drained && clock_type::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  bool ended_by_node = drained;
  stalled.abort();
  reader.join();
  std::string ended = ended_by_node ? stalled.ended_because() : std::string{};

  // Compare the first and the last minute (thirds of shorter runs).
  auto per_min =
      static_cast<size_t>(std::min(60.0, opts.seconds / 3) / opts.sample_s);
  auto avg = [&](size_t from, size_t to) {
    to = std::min(to, samples.size());
    if (from >= to)
      return 0.0;
    double s = 0;
    for (size_t i = from; i < to; ++i)
      s += static_cast<double>(samples[i]);
    return s / static_cast<double>(to - from);
  };
  double first_min = avg(0, per_min);
  double last_min = avg(samples.size() > per_min ? samples.size() - per_min : 0,
                        samples.size());
  long peak =
      samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
  // Mean RSS of each whole minute (or of each third of a shorter run).
  auto minute_means = nlohmann::json::array();
  for (size_t from = 0; per_min > 0 && from + per_min <= samples.size();
       from += per_min)
    minute_means.push_back(std::round(avg(from, from + per_min) / 1024 * 10) /
                           10);
  nlohmann::json run{
      {"idle_rss_mib", static_cast<double>(idle) / 1024},
      {"first_minute_rss_mib", first_min / 1024},
      {"last_minute_rss_mib", last_min / 1024},
      {"peak_rss_mib", static_cast<double>(peak) / 1024},
      {"growth_mib", (last_min - first_min) / 1024},
      {"published", pub.sent()},
      {"publish_failures", pub.failures()},
      {"max_send_lag_ms", static_cast<double>(pub.max_lag_ns()) / 1e6},
      {"stalled_stream_ended", ended},
      {"minute_means_mib", minute_means},
      {"store_memory", memory},
      {"samples_kib", samples}};
  run["summary"] =
      "idle " + fixed(run["idle_rss_mib"].get<double>()) + " MiB; under " +
      fixed(opts.rate, 0) + " events/s for " + fixed(opts.seconds, 0) +
      " s: first minute " + fixed(first_min / 1024) + " MiB, last minute " +
      fixed(last_min / 1024) + " MiB, peak " +
      fixed(static_cast<double>(peak) / 1024) + " MiB; stalled stream: " +
      (ended.empty() ? std::string{"still open"} : ended);
  if (!memory.empty() && memory.back().is_object()) {
    auto& m = memory.back();
    auto mib = [&](const char* k) {
      return m.contains(k) ? fixed(m[k].get<double>()) : std::string{"?"};
    };
    run["summary"] =
        run["summary"].get<std::string>() + "; at the end: table readers " +
        mib("herald_store_table_readers_mib") + " MiB, block cache " +
        mib("herald_store_block_cache_mib") + " MiB, memtables " +
        mib("herald_store_memtable_mib") + " MiB";
  }
  if (pub.failures() > 0)
    run["first_failure"] = pub.first_failure();
  rep.runs.push_back(std::move(run));
  rep.load_after = load_average();
  rep.compute_median({"/idle_rss_mib", "/first_minute_rss_mib",
                      "/last_minute_rss_mib", "/peak_rss_mib", "/growth_mib"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
