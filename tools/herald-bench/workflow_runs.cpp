// Issue 10 (c) workflow-runs: how many runs of the one-emit workflow
// (overlap "parallel") a node completes per second when `clients`
// keep-alive connections POST /api/v1/workflows/bench-wf/run in a closed
// loop (each waits for its 202, which comes once the task record and its
// task_started event are stored). A run is done when its task_end is
// stored: herald_tasks_ended_total, polled every 20 ms, grew by `runs`.
// runs/s = runs / (last run ended − first POST). Also reported: the POST
// rate (runs accepted/s), the 202 latency, and the writer's appends.

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "tools/herald-bench/automation_common.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

const std::string ended_all[] = {
    "herald_tasks_ended_total{state=\"succeeded\"}",
    "herald_tasks_ended_total{state=\"failed\"}",
    "herald_tasks_ended_total{state=\"cancelled\"}"};

double tasks_ended(const metric_samples& m) {
  double n = 0;
  for (const auto& s : ended_all)
    n += sample(m, s);
  return n;
}

nlohmann::json runs_once(const workflow_runs_options& opts) {
  bench_node node;
  if (auto err = node.open(opts.node, "wr"); !err.empty())
    return {{"error", err}};
  std::optional<rss_sampler> rss;
  if (node.pid() > 0)
    rss.emplace(node.pid(), 100);
  http_conn conn{node.host(), node.port(), node.token()};
  if (auto err = put_bench_workflow(conn); !err.empty())
    return {{"error", err}};
  auto before = scrape_metrics(conn);
  if (!before)
    return {{"error", "/metrics did not answer"}};
  const double base = tasks_ended(*before);
  const auto cpu0 = node.pid() > 0 ? cpu_seconds(node.pid()) : std::nullopt;

  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int64_t> posted_ns{0};
  std::mutex mtx;
  std::string error;
  std::vector<int64_t> latencies;
  const auto target =
      std::string{"/api/v1/workflows/"} + bench_workflow_id + "/run";
  const auto start = clock_type::now();
  const auto start_ns = mono_ns();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < opts.clients; ++c)
    threads.emplace_back([&] {
      http_conn client{node.host(), node.port(), node.token()};
      std::vector<int64_t> local;
      for (;;) {
        auto i = next.fetch_add(1);
        if (i >= opts.runs || failed)
          break;
        auto t0 = mono_ns();
        auto res = client.post(target, "{}");
        local.push_back(mono_ns() - t0);
        if (res.status != 202) {
          std::lock_guard<std::mutex> guard{mtx};
          if (!failed)
            error = "POST " + target + ": HTTP " + std::to_string(res.status) +
                    " " + res.error + " " + res.body.substr(0, 300);
          failed = true;
          break;
        }
      }
      std::lock_guard<std::mutex> guard{mtx};
      latencies.insert(latencies.end(), local.begin(), local.end());
      posted_ns = std::max(posted_ns.load(), mono_ns());
    });
  // Meanwhile: poll until every run ended.
  double ended = 0;
  metric_samples after = *before;
  double done_s = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto m = scrape_metrics(conn)) {
      after = std::move(*m);
      ended = tasks_ended(after) - base;
    }
    if (ended >= static_cast<double>(opts.runs)) {
      done_s = seconds_since(start);
      break;
    }
    if (failed || seconds_since(start) > opts.timeout_s)
      break;
  }
  for (auto& t : threads)
    t.join();
  if (failed)
    return {{"error", error}};
  if (done_s == 0)
    return {{"error", "only " + fixed(ended, 0) + " of " +
                          std::to_string(opts.runs) + " runs ended within " +
                          fixed(opts.timeout_s, 0) + " s"}};
  const double accept_s =
      static_cast<double>(posted_ns.load() - start_ns) / 1e9;
  auto lat = summarize(latencies);
  const double runs_per_s = static_cast<double>(opts.runs) / done_s;
  nlohmann::json run{
      {"runs", opts.runs},
      {"seconds", done_s},
      {"runs_per_s", runs_per_s},
      {"accepted_per_s", static_cast<double>(opts.runs) / accept_s},
      {"post_latency", lat.to_json()},
      {"tasks_failed",
       sample(after, ended_all[1]) - sample(*before, ended_all[1])},
      {"tasks_cancelled",
       sample(after, ended_all[2]) - sample(*before, ended_all[2])},
      {"writes", write_stats(*before, after)}};
  if (cpu0)
    run["node_cpu_per_wall_s"] =
        (cpu_seconds(node.pid()).value_or(0) - *cpu0) / done_s;
  if (rss) {
    run["rss_mib_peak"] = mib(rss->peak_kib());
    run["rss_mib_after"] = mib(rss->last_kib());
  }
  run["summary"] =
      fixed(runs_per_s, 0) + " runs/s (" + std::to_string(opts.runs) +
      " runs ended in " + fixed(done_s, 2) + " s, accepted at " +
      fixed(static_cast<double>(opts.runs) / accept_s, 0) + "/s, " +
      fixed(run["tasks_failed"].get<double>(), 0) + " failed; POST p50 " +
      fixed(lat.p50_ms, 2) + " ms p99 " + fixed(lat.p99_ms, 2) + " ms; " +
      fixed(run["writes"]["events_per_append"].get<double>(), 1) +
      " events per append, " +
      fixed(run["writes"]["appends"].get<double>() / done_s, 0) +
      " appends/s, append busy " +
      fixed(100 * run["writes"]["append_busy_s"].get<double>() / done_s, 0) +
      " % of the time" +
      (cpu0 ? ", node CPU " +
                  fixed(100 * run["node_cpu_per_wall_s"].get<double>(), 0) +
                  " % of one core"
            : std::string{}) +
      ")";
  return run;
}

} // namespace

int run_workflow_runs(const workflow_runs_options& opts) {
  report rep;
  rep.scenario = "workflow-runs";
  rep.params = {{"runs", opts.runs},
                {"clients", opts.clients},
                {"durability", opts.node.durability},
                {"url", opts.node.url},
                {"repeat", opts.repeat}};
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = runs_once(opts);
    if (run.contains("error")) {
      std::cerr << "workflow-runs: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/runs_per_s", "/accepted_per_s", "/post_latency/p50_ms",
                      "/post_latency/p99_ms", "/writes/events_per_append"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
