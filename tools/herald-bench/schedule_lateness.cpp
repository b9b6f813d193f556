// Issue 10 (b) schedule-lateness: `due` schedule triggers all due at one
// instant T, among `defined` triggers in all, on a spawned node.
//
//   1. define `defined − due` idle triggers (cron "0 0 1 1 *": not due
//      during the run) over `setup_connections` connections;
//   2. define the first min(due, 200) due triggers with the idle cron to
//      measure the define rate, then pick T = the first whole minute at
//      least (rest / rate) · 1.5 + margin_s ahead, and (re)define all
//      `due` triggers with cron "<T's minute> <T's hour> * * *" (UTC);
//      defining must end before T − 1 s, else the run fails (raise
//      --margin-s);
//   3. at T every due trigger fires; all runs ended when
//      herald_tasks_ended_total (polled every 50 ms) grew by `due` (at
//      most timeout_s after T): `all_ended_s` = that moment − T;
//   4. lateness, from the stored trail: for each due trigger's run, the
//      time of its task_started event − T. The flow actor stamps that
//      time when it starts the run, after the trigger actor committed the
//      fire, and before the event waits in the writer's queue; so it is
//      "fire decided", not "stored". The last task_end's stamp − T is
//      reported too (`last_task_end_stamp_s`, ≤ all_ended_s by the
//      writer's backlog). For comparison, the node's
//      herald_trigger_fire_lateness_seconds (fire committed − T, observed
//      by the trigger actor), p50/p99 interpolated in its buckets (… 1,
//      2.5, 5, 10 s, +Inf — coarse; the bucket is named too).
//
// RSS is sampled every 100 ms: idle, after the idle triggers, just before
// T (all `defined` triggers defined: the issue's "RSS with 100k triggers
// defined" at the defaults), and the peak from T until all runs ended.

#include <cmath>
#include <ctime>
#include <iostream>
#include <thread>

#include "runtime/time_format.hpp"
#include "tools/herald-bench/automation_common.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

constexpr const char* idle_cron = "0 0 1 1 *";
constexpr size_t probe_count = 200;
constexpr int64_t ns_per_s = 1'000'000'000;

std::string schedule_body(const std::string& cron) {
  return nlohmann::json{
      {"type", "schedule"}, {"cron", cron}, {"workflow", bench_workflow_id}}
      .dump();
}

std::vector<definition_put> schedule_defs(const std::string& prefix,
                                          size_t from, size_t to,
                                          const std::string& cron) {
  std::vector<definition_put> out;
  out.reserve(to - from);
  const auto body = schedule_body(cron);
  for (size_t i = from; i < to; ++i)
    out.push_back({"/api/v1/triggers/" + prefix + std::to_string(i), body});
  return out;
}

/// "M H * * *" for the UTC minute starting at `t_ns`.
std::string cron_at(int64_t t_ns) {
  std::time_t secs = static_cast<std::time_t>(t_ns / ns_per_s);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return std::to_string(tm.tm_min) + " " + std::to_string(tm.tm_hour) +
         " * * *";
}

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

nlohmann::json lateness_once(const schedule_lateness_options& opts) {
  bench_node node;
  if (auto err = node.open(opts.node, "sl"); !err.empty())
    return {{"error", err}};
  rss_sampler rss{node.pid(), 100};
  http_conn conn{node.host(), node.port(), node.token()};
  if (auto err = put_bench_workflow(conn); !err.empty())
    return {{"error", err}};
  nlohmann::json run;
  run["rss_mib_idle"] = mib(rss_kib(node.pid()).value_or(0));
  auto define = [&](const std::vector<definition_put>& defs, double budget) {
    return define_all(node.host(), node.port(), node.token(), defs,
                      opts.setup_connections, budget);
  };
  const auto setup_start = clock_type::now();

  // 1. The idle triggers.
  const size_t idle = opts.defined - opts.due;
  if (idle > 0) {
    std::cout << "schedule-lateness: defining " << idle
              << " idle schedule triggers…" << std::endl;
    auto r = define(schedule_defs("idle-", 0, idle, idle_cron),
                    opts.setup_timeout_s);
    if (!r.error.empty())
      return {{"error", "idle triggers: " + r.error}};
    run["setup_idle"] = r.to_json();
    run["rss_mib_idle_defined"] = mib(rss_kib(node.pid()).value_or(0));
  }

  // 2. Probe the define rate, pick the instant, define the due triggers.
  const size_t probe = std::min(opts.due, probe_count);
  auto pr = define(schedule_defs("due-", 0, probe, idle_cron), 120);
  if (!pr.error.empty())
    return {{"error", "probe: " + pr.error}};
  const double rate = std::max(pr.per_s(), 1.0);
  const double need_s =
      static_cast<double>(opts.due) / rate * 1.5 + opts.margin_s;
  const int64_t minute = 60 * ns_per_s;
  const int64_t instant =
      (unix_ns() + static_cast<int64_t>(need_s * 1e9) + minute - 1) / minute *
      minute;
  const auto cron = cron_at(instant);
  std::cout << "schedule-lateness: " << fixed(rate, 0) << " definitions/s; "
            << opts.due << " triggers due at "
            << runtime::format_rfc3339(instant) << " (cron \"" << cron
            << "\", in "
            << fixed(static_cast<double>(instant - unix_ns()) / 1e9, 0) << " s)"
            << std::endl;
  const double budget = static_cast<double>(instant - unix_ns()) / 1e9 - 1;
  auto dr = define(schedule_defs("due-", 0, opts.due, cron), budget);
  if (!dr.error.empty())
    return {{"error", "due triggers (raise --margin-s if the instant came "
                      "too soon): " +
                          dr.error}};
  run["setup_due"] = dr.to_json();
  run["setup_s"] = seconds_since(setup_start);
  run["instant"] = runtime::format_rfc3339(instant);
  run["cron"] = cron;
  const double ahead_s = static_cast<double>(instant - unix_ns()) / 1e9;
  run["setup_ended_before_instant_s"] = ahead_s;
  if (ahead_s < 1)
    return {{"error", "defining the due triggers ended " + fixed(ahead_s, 2) +
                          " s before the instant (raise --margin-s)"}};

  // 3. Just before T: the baseline, RSS with everything defined, and
  // whether the node is idle by then (the schedule triggers' first state
  // commits may still be queued behind the PUTs' answers).
  auto sleep_until_unix = [](int64_t t) {
    std::this_thread::sleep_until(std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds{t})});
  };
  sleep_until_unix(instant - 5'700'000'000);
  const auto cpu0 = cpu_seconds(node.pid()).value_or(0);
  sleep_until_unix(instant - 700'000'000);
  run["node_cpu_before_instant"] =
      (cpu_seconds(node.pid()).value_or(0) - cpu0) / 5;
  auto before = scrape_metrics(conn);
  if (!before)
    return {{"error", "/metrics did not answer before the instant"}};
  const double enabled =
      sample(*before, "herald_triggers_enabled{type=\"schedule\"}");
  run["schedule_triggers_enabled"] = enabled;
  run["rss_mib_setup_peak"] = mib(rss.peak_kib());
  run["rss_mib_defined"] = mib(rss.last_kib());
  rss.reset_peak();
  const auto cpu_at_instant = cpu_seconds(node.pid()).value_or(0);
  const double base = tasks_ended(*before);
  double ended = 0;
  metric_samples after = *before;
  int64_t all_ended_seen_ns = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (auto m = scrape_metrics(conn)) {
      after = std::move(*m);
      ended = tasks_ended(after) - base;
    }
    if (ended >= static_cast<double>(opts.due)) {
      all_ended_seen_ns = unix_ns();
      break;
    }
    if (unix_ns() > instant + static_cast<int64_t>(opts.timeout_s * 1e9))
      return {{"error", "only " + fixed(ended, 0) + " of " +
                            std::to_string(opts.due) + " runs ended within " +
                            fixed(opts.timeout_s, 0) + " s of the instant"}};
  }
  run["rss_mib_fire_peak"] = mib(rss.peak_kib());
  run["node_cpu_s_until_all_ended"] =
      cpu_seconds(node.pid()).value_or(0) - cpu_at_instant;
  run["all_ended_s"] = static_cast<double>(all_ended_seen_ns - instant) / 1e9;
  run["writes"] = write_stats(*before, after);
  run["tasks_failed"] =
      sample(after, ended_all[1]) - sample(*before, ended_all[1]);

  // 4. Lateness from the trail.
  std::vector<int64_t> started;
  int64_t last_end = 0;
  size_t ends = 0;
  auto due_run = [](const nlohmann::json& ev) {
    auto o = ev.find("origin");
    if (o == ev.end() || !o->contains("trigger_id"))
      return false;
    return (*o)["trigger_id"].get<std::string>().rfind("due-", 0) == 0;
  };
  auto time_of = [](const nlohmann::json& ev) {
    return runtime::parse_rfc3339(ev.value("time", std::string{})).value_or(0);
  };
  if (auto err = for_each_event(conn, "task_started", instant - ns_per_s,
                                [&](const nlohmann::json& ev) {
                                  if (due_run(ev))
                                    started.push_back(time_of(ev) - instant);
                                });
      !err.empty())
    return {{"error", err}};
  if (auto err = for_each_event(conn, "task_end", instant - ns_per_s,
                                [&](const nlohmann::json& ev) {
                                  if (!due_run(ev))
                                    return;
                                  ++ends;
                                  last_end = std::max(last_end, time_of(ev));
                                });
      !err.empty())
    return {{"error", err}};
  if (started.size() != opts.due || ends != opts.due)
    return {{"error", "the trail holds " + std::to_string(started.size()) +
                          " task_started and " + std::to_string(ends) +
                          " task_end of due triggers, not " +
                          std::to_string(opts.due) + " each"}};
  auto lat = summarize(started);
  run["lateness_started"] = lat.to_json();
  run["last_task_end_stamp_s"] = static_cast<double>(last_end - instant) / 1e9;
  auto hist = bucket_delta(
      histogram_buckets(*before, "herald_trigger_fire_lateness_seconds"),
      histogram_buckets(after, "herald_trigger_fire_lateness_seconds"));
  const double fired = hist.empty() ? 0 : hist.back().second;
  run["lateness_committed"] = {
      {"count", fired},
      {"p50_ms", bucket_quantile(hist, 0.5).value_or(0) * 1e3},
      {"p99_ms", bucket_quantile(hist, 0.99).value_or(0) * 1e3}};
  // The interpolation is only as good as the buckets: name them too.
  auto bucket_text = [&](double q) {
    auto b = bucket_holding(hist, q);
    if (!b)
      return std::string{"-"};
    return "(" + fixed(b->first * 1e3, 0) + ", " +
           (std::isinf(b->second) ? std::string{"inf"}
                                  : fixed(b->second * 1e3, 0)) +
           "] ms";
  };
  run["lateness_committed"]["p50_bucket"] = bucket_text(0.5);
  run["lateness_committed"]["p99_bucket"] = bucket_text(0.99);
  run["rss_mib_after"] = mib(rss_kib(node.pid()).value_or(0));
  run["summary"] =
      std::to_string(opts.due) + " due of " + std::to_string(opts.defined) +
      " defined (setup " + fixed(run["setup_s"].get<double>(), 0) +
      " s): run started p50 " + fixed(lat.p50_ms, 1) + " ms p99 " +
      fixed(lat.p99_ms, 1) + " ms max " + fixed(lat.max_ms, 1) +
      " ms after the instant; fire committed (histogram) p50 in " +
      bucket_text(0.5) + ", p99 in " + bucket_text(0.99) + "; all ended " +
      fixed(run["all_ended_s"].get<double>(), 2) + " s after; RSS defined " +
      fixed(run["rss_mib_defined"].get<double>()) + " MiB, peak " +
      fixed(run["rss_mib_fire_peak"].get<double>()) + " MiB; node CPU " +
      fixed(100 * run["node_cpu_before_instant"].get<double>(), 0) +
      " % of a core in the 5 s before the instant, " +
      fixed(100 * run["node_cpu_s_until_all_ended"].get<double>() /
                run["all_ended_s"].get<double>(),
            0) +
      " % until all ended; " +
      fixed(run["writes"]["appends"].get<double>(), 0) + " appends of " +
      fixed(run["writes"]["mean_append_ms"].get<double>(), 2) + " ms mean";
  return run;
}

} // namespace

int run_schedule_lateness(const schedule_lateness_options& opts) {
  report rep;
  rep.scenario = "schedule-lateness";
  rep.params = {{"due", opts.due},
                {"defined", opts.defined},
                {"setup_connections", opts.setup_connections},
                {"margin_s", opts.margin_s},
                {"durability", opts.node.durability},
                {"repeat", opts.repeat},
                {"lateness_source",
                 "task_started time - instant (trail); histogram for "
                 "comparison"}};
  if (!opts.node.url.empty()) {
    std::cerr << "schedule-lateness: needs a spawned node (no --url)\n";
    return 1;
  }
  if (opts.due == 0 || opts.defined < opts.due) {
    std::cerr << "schedule-lateness: need 0 < --due ≤ --defined\n";
    return 1;
  }
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = lateness_once(opts);
    if (run.contains("error")) {
      std::cerr << "schedule-lateness: " << run["error"].get<std::string>()
                << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/lateness_started/p50_ms", "/lateness_started/p99_ms",
                      "/lateness_started/max_ms", "/lateness_committed/p50_ms",
                      "/lateness_committed/p99_ms", "/all_ended_s",
                      "/last_task_end_stamp_s", "/node_cpu_s_until_all_ended",
                      "/rss_mib_defined", "/rss_mib_fire_peak", "/setup_s"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
