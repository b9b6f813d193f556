// (a) Durable ingest through HTTP: C keep-alive connections each POST
// batches of B native events (no ids: the node assigns UUIDv7s) and wait for
// the durable reply (closed loop, C requests in flight). The bodies are
// built before the clock starts, so the client's cost is the socket work.

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

constexpr size_t distinct_bodies = 16;

nlohmann::json ingest_once(const ingest_http_options& opts,
                           const std::vector<std::string>& bodies) {
  bench_node node;
  if (auto err = node.open(opts.node, "http"); !err.empty())
    return {{"error", err}};
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mtx;
  std::string error;
  std::vector<int64_t> latencies;
  uint64_t batches = (opts.events + opts.batch - 1) / opts.batch;
  auto rss_before = node.pid() > 0 ? rss_kib(node.pid()) : std::nullopt;
  auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < opts.connections; ++c)
    threads.emplace_back([&] {
      http_conn conn{node.host(), node.port(), node.token()};
      std::vector<int64_t> local;
      for (;;) {
        auto b = next.fetch_add(1);
        if (b >= batches || failed)
          break;
        auto t0 = mono_ns();
        auto res = conn.post("/api/v1/events", bodies[b % bodies.size()]);
        local.push_back(mono_ns() - t0);
        if (!res.ok()) {
          std::lock_guard<std::mutex> guard{mtx};
          error = "HTTP " + std::to_string(res.status) + " " + res.error + " " +
                  res.body.substr(0, 300);
          failed = true;
          break;
        }
      }
      std::lock_guard<std::mutex> guard{mtx};
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  for (auto& t : threads)
    t.join();
  auto elapsed = seconds_since(start);
  if (failed)
    return {{"error", error}};
  auto events = batches * opts.batch;
  double eps = static_cast<double>(events) / elapsed;
  auto lat = summarize(latencies);
  nlohmann::json run{{"events", events},
                     {"seconds", elapsed},
                     {"events_per_s", eps},
                     {"request_latency", lat.to_json()}};
  if (node.pid() > 0) {
    if (rss_before)
      run["rss_kib_before"] = *rss_before;
    if (auto rss = rss_kib(node.pid()))
      run["rss_kib_after"] = *rss;
  }
  run["summary"] = fixed(eps, 0) + " events/s (" + std::to_string(events) +
                   " events in " + fixed(elapsed, 2) + " s, request p50 " +
                   fixed(lat.p50_ms, 2) + " ms p99 " + fixed(lat.p99_ms, 2) +
                   " ms)";
  return run;
}

} // namespace

int run_ingest_http(const ingest_http_options& opts) {
  report rep;
  rep.scenario = "ingest-http";
  rep.params = {{"events", opts.events},
                {"batch", opts.batch},
                {"connections", opts.connections},
                {"data_bytes", opts.data_bytes},
                {"durability", opts.node.durability},
                {"url", opts.node.url},
                {"repeat", opts.repeat}};
  std::vector<std::string> bodies;
  for (size_t i = 0; i < distinct_bodies; ++i)
    bodies.push_back(
        make_batch_json(i * opts.batch, opts.batch, 0, opts.data_bytes));
  rep.params["body_bytes"] = bodies.front().size();
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = ingest_once(opts, bodies);
    if (run.contains("error")) {
      std::cerr << "ingest-http: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median(
      {"/events_per_s", "/request_latency/p50_ms", "/request_latency/p99_ms"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
