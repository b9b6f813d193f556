// (a) Durable ingest through HTTP: C keep-alive connections each POST
// batches of B native events (no ids: the node assigns UUIDv7s) and wait for
// the durable reply (closed loop, C requests in flight). The bodies are
// built before the clock starts, so the client's cost is the socket work.

#include <iostream>

#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/http_batch_publisher.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

constexpr size_t distinct_bodies = 16;

nlohmann::json ingest_once(const ingest_http_options& opts,
                           const std::vector<std::string>& bodies) {
  bench_node node;
  if (auto err = node.open(opts.node, "http"); !err.empty())
    return {{"error", err}};
  auto rss_before = node.pid() > 0 ? rss_kib(node.pid()) : std::nullopt;
  http_batch_publish p;
  p.host = node.host();
  p.port = node.port();
  p.token = node.token();
  p.batches = (opts.events + opts.batch - 1) / opts.batch;
  p.batch = opts.batch;
  p.connections = opts.connections;
  auto run = publish_batches(p, bodies);
  if (run.contains("error"))
    return run;
  const auto events = run["events"].get<uint64_t>();
  const auto elapsed = run["seconds"].get<double>();
  const auto eps = run["events_per_s"].get<double>();
  const auto p50 = run["request_latency"]["p50_ms"].get<double>();
  const auto p99 = run["request_latency"]["p99_ms"].get<double>();
  if (node.pid() > 0) {
    if (rss_before)
      run["rss_kib_before"] = *rss_before;
    if (auto rss = rss_kib(node.pid()))
      run["rss_kib_after"] = *rss;
  }
  run["summary"] = fixed(eps, 0) + " events/s (" + std::to_string(events) +
                   " events in " + fixed(elapsed, 2) + " s, request p50 " +
                   fixed(p50, 2) + " ms p99 " + fixed(p99, 2) + " ms)";
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
