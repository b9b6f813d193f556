// herald-bench: Herald's benchmark driver (a benchmark, not a test: never
// run by ctest). One subcommand per scenario; each prints a summary line per
// run, the median over --repeat runs, and the whole report with --json.
// Commands and figures: docs/BENCHMARKS.md.

#include <csignal>

#include <CLI/CLI.hpp>

#include "tools/herald-bench/scenarios.hpp"

namespace {

using namespace herald::bench;

void add_node_flags(CLI::App* cmd, node_target& node) {
  cmd->add_option("--url", node.url,
                  "Running node (http://HOST:PORT); default: spawn heraldd");
  cmd->add_option("--heraldd", node.heraldd, "heraldd binary to spawn");
  cmd->add_option("--token", node.token,
                  "Bearer token for --url (default: $HERALD_TOKEN)");
  cmd->add_option("--work-dir", node.work_dir,
                  "Where spawned nodes get their temp data dirs");
  cmd->add_option("--durability", node.durability,
                  "sync|async for a spawned node")
      ->check(CLI::IsMember({"sync", "async"}));
}

void add_common(CLI::App* cmd, report_options& out, int* repeat) {
  cmd->add_flag("--json", out.json, "Print the full report as JSON");
  if (repeat)
    cmd->add_option("--repeat", *repeat, "Runs; the median is reported")
        ->check(CLI::Range(1, 100));
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"herald-bench: Herald's benchmarks (docs/BENCHMARKS.md)"};
  app.require_subcommand(1);

  ingest_inproc_options inproc;
  auto* c1 = app.add_subcommand(
      "ingest-inproc", "Durable ingest through the in-process publish API");
  c1->add_option("--events", inproc.events, "Events per run");
  c1->add_option("--batch", inproc.batch, "Events per publish")
      ->check(CLI::Range(1, 100000));
  c1->add_option("--publishers", inproc.publishers, "Concurrent publishers")
      ->check(CLI::Range(1, 256));
  c1->add_option("--data-bytes", inproc.data_bytes, "Serialized data size");
  c1->add_option("--data-dir", inproc.data_dir,
                 "Parent of each run's fresh store (default /var/tmp)");
  c1->add_option("--durability", inproc.durability, "sync|async")
      ->check(CLI::IsMember({"sync", "async"}));
  c1->add_flag("--keep", inproc.keep, "Keep the stores");
  add_common(c1, inproc.out, &inproc.repeat);

  ingest_http_options http;
  auto* c2 =
      app.add_subcommand("ingest-http", "Durable ingest through HTTP batches");
  c2->add_option("--events", http.events, "Events per run");
  c2->add_option("--batch", http.batch, "Events per POST")
      ->check(CLI::Range(1, 10000));
  c2->add_option("--connections", http.connections, "Concurrent connections")
      ->check(CLI::Range(1, 256));
  c2->add_option("--data-bytes", http.data_bytes, "Serialized data size");
  add_node_flags(c2, http.node);
  c2->add_flag(
      "--spawn", [&](int64_t) { http.node.url.clear(); },
      "Spawn heraldd (the default)");
  add_common(c2, http.out, &http.repeat);

  live_options live;
  auto* c3 = app.add_subcommand(
      "live", "Publish → live WebSocket subscriber at a fixed offered rate");
  c3->add_option("--rate", live.rate, "Offered events/s")
      ->check(CLI::PositiveNumber);
  c3->add_option("--seconds", live.seconds, "Measured seconds")
      ->check(CLI::PositiveNumber);
  c3->add_option("--warmup", live.warmup, "Seconds discarded first");
  c3->add_option("--tick-ms", live.tick_ms, "One batch per tick")
      ->check(CLI::PositiveNumber);
  c3->add_option("--connections", live.connections, "Publisher connections")
      ->check(CLI::Range(1, 64));
  c3->add_option("--data-bytes", live.data_bytes, "Serialized data size");
  c3->add_option("--subscribers", live.subscribers,
                 "WebSocket subscribers (fan-out: deliveries/s over all)")
      ->check(CLI::Range(1, 64));
  c3->add_option("--subscribe-url", live.subscribe_url,
                 "Subscribe on another node of the cluster (http://HOST:PORT): "
                 "cross-node delivery");
  add_node_flags(c3, live.node);
  add_common(c3, live.out, &live.repeat);

  query_options query;
  auto* c4 = app.add_subcommand(
      "query", "Scoped queries over a store built once in --data-dir");
  c4->add_option("--events", query.events, "Events in the store");
  c4->add_option("--data-dir", query.data_dir,
                 "heraldd data dir holding (or to hold) the store")
      ->required();
  c4->add_option("--queries", query.queries, "Measured queries per kind");
  c4->add_option("--warmup", query.warmup, "Warm-up queries per kind");
  c4->add_option("--limit", query.limit, "Page size")
      ->check(CLI::Range(1, 1000));
  c4->add_flag("--inproc", query.inproc, "Also query the store in-process");
  c4->add_option("--heraldd", query.node.heraldd, "heraldd binary to spawn");
  add_common(c4, query.out, &query.repeat);

  rss_options rss;
  auto* c5 = app.add_subcommand(
      "rss", "Idle RSS, then RSS under load with one stalled subscriber");
  c5->add_option("--idle-seconds", rss.idle_seconds, "Idle wait");
  c5->add_option("--seconds", rss.seconds, "Loaded period");
  c5->add_option("--rate", rss.rate, "Offered events/s")
      ->check(CLI::PositiveNumber);
  c5->add_option("--sample-s", rss.sample_s, "Sampling period")
      ->check(CLI::PositiveNumber);
  c5->add_option("--connections", rss.connections, "Publisher connections")
      ->check(CLI::Range(1, 64));
  c5->add_option("--data-bytes", rss.data_bytes, "Serialized data size");
  add_node_flags(c5, rss.node);
  add_common(c5, rss.out, nullptr);

  auth_options auth;
  auto* c6 = app.add_subcommand(
      "auth", "Login latency and the per-request cost of a bearer check");
  c6->add_option("--logins", auth.logins, "Sequential logins per run")
      ->check(CLI::Range(1, 100000));
  c6->add_option("--requests", auth.requests,
                 "Requests per credential kind per run")
      ->check(CLI::Range(1, 10000000));
  add_node_flags(c6, auth.node);
  add_common(c6, auth.out, &auth.repeat);

  triggers_publish_options tp;
  auto* c7 = app.add_subcommand(
      "triggers-publish",
      "Durable HTTP publish rate with N event triggers vs one (issue 10)");
  c7->add_option("--triggers", tp.triggers, "Event triggers on the loaded node")
      ->check(CLI::Range(1, 10000000));
  c7->add_option("--matching", tp.matching,
                 "Of them, how many match some published events");
  c7->add_option("--setup-connections", tp.setup_connections,
                 "Concurrent PUTs while defining")
      ->check(CLI::Range(1, 256));
  c7->add_option("--setup-timeout", tp.setup_timeout_s,
                 "Seconds allowed for defining the triggers");
  c7->add_option("--events", tp.events, "Events per publish measurement");
  c7->add_option("--batch", tp.batch, "Events per POST")
      ->check(CLI::Range(1, 10000));
  c7->add_option("--connections", tp.connections, "Publisher connections")
      ->check(CLI::Range(1, 256));
  c7->add_option("--data-bytes", tp.data_bytes, "Serialized data size");
  c7->add_option("--catchup-timeout", tp.catchup_timeout_s,
                 "Seconds to wait for the matched events' runs to end");
  add_node_flags(c7, tp.node);
  add_common(c7, tp.out, &tp.repeat);

  schedule_lateness_options sl;
  auto* c8 = app.add_subcommand(
      "schedule-lateness",
      "Lateness of N schedule triggers due at the same instant (issue 10)");
  c8->add_option("--due", sl.due, "Triggers due at the instant")
      ->check(CLI::Range(1, 10000000));
  c8->add_option("--defined", sl.defined,
                 "Triggers defined in all (the rest are not due)")
      ->check(CLI::Range(1, 10000000));
  c8->add_option("--setup-connections", sl.setup_connections,
                 "Concurrent PUTs while defining")
      ->check(CLI::Range(1, 256));
  c8->add_option("--setup-timeout", sl.setup_timeout_s,
                 "Seconds allowed for defining the idle triggers");
  c8->add_option("--margin-s", sl.margin_s,
                 "Least seconds between the end of defining and the instant");
  c8->add_option("--timeout", sl.timeout_s,
                 "Seconds after the instant for all runs to end");
  add_node_flags(c8, sl.node);
  add_common(c8, sl.out, &sl.repeat);

  workflow_runs_options wr;
  auto* c9 = app.add_subcommand(
      "workflow-runs",
      "Runs/s of a one-emit workflow started by POST …/run (issue 10)");
  c9->add_option("--runs", wr.runs, "Runs per measurement")
      ->check(CLI::Range(1, 100000000));
  c9->add_option("--clients", wr.clients, "Concurrent POST connections")
      ->check(CLI::Range(1, 256));
  c9->add_option("--timeout", wr.timeout_s, "Seconds for all runs to end");
  add_node_flags(c9, wr.node);
  add_common(c9, wr.out, &wr.repeat);

  deliveries_options dl;
  auto* c10 = app.add_subcommand(
      "deliveries", "Webhook deliveries: one subscription, many, an outage, "
                    "stalled subscriptions (issue 11)");
  c10->add_option("--events", dl.events, "Events through one subscription")
      ->check(CLI::Range(1, 100000000));
  c10->add_option("--events-many", dl.events_many,
                  "Events through each of --subscriptions")
      ->check(CLI::Range(1, 10000000));
  c10->add_option("--subscriptions", dl.subscriptions,
                  "Subscriptions of the many and stalled phases")
      ->check(CLI::Range(1, 10000));
  c10->add_option("--outage", dl.outage_s, "Seconds of the 50% outage");
  c10->add_option("--rate", dl.rate, "Events/s during the outage phase");
  c10->add_option("--stall", dl.stall_s, "Seconds of the stalled phase");
  c10->add_option("--stall-rate", dl.stall_rate,
                  "Events/s during the stalled phase");
  c10->add_option("--timeout", dl.timeout_s, "Seconds any phase may take");
  add_node_flags(c10, dl.node);
  add_common(c10, dl.out, &dl.repeat);

  live_max_options lm;
  auto* c11 = app.add_subcommand(
      "live-max", "Highest sustained live rate: doubling, then bisecting, "
                  "then half of it (issue 13)");
  c11->add_option("--start", lm.start, "First rate tried, events/s")
      ->check(CLI::PositiveNumber);
  c11->add_option("--precision", lm.precision,
                  "Bisect until pass and fail are within this fraction")
      ->check(CLI::Range(0.001, 1.0));
  c11->add_option("--max-rate", lm.max_rate, "Stop doubling here")
      ->check(CLI::PositiveNumber);
  c11->add_option("--max-p99-ms", lm.max_p99_ms,
                  "A step whose p99 latency reaches this fails")
      ->check(CLI::PositiveNumber);
  c11->add_option("--seconds", lm.seconds, "Measured seconds per step")
      ->check(CLI::PositiveNumber);
  c11->add_option("--warmup", lm.warmup, "Seconds discarded per step");
  c11->add_option("--tick-ms", lm.tick_ms, "One batch per tick")
      ->check(CLI::PositiveNumber);
  c11->add_option("--connections", lm.connections, "Publisher connections")
      ->check(CLI::Range(1, 64));
  c11->add_option("--data-bytes", lm.data_bytes, "Serialized data size");
  add_node_flags(c11, lm.node);
  add_common(c11, lm.out, &lm.repeat);

  fanout_options fo;
  auto* c12 = app.add_subcommand(
      "fanout", "N live WebSocket subscribers on one pattern (issue 13)");
  c12->add_option("--subscribers", fo.subscribers, "WebSocket subscribers")
      ->check(CLI::Range(1, 1000));
  c12->add_option("--name", fo.name,
                  "Their name pattern (default: every event)");
  c12->add_option("--rate", fo.rate, "Offered events/s")
      ->check(CLI::PositiveNumber);
  c12->add_option("--seconds", fo.seconds, "Measured seconds")
      ->check(CLI::PositiveNumber);
  c12->add_option("--warmup", fo.warmup, "Seconds discarded first");
  c12->add_option("--tick-ms", fo.tick_ms, "One batch per tick")
      ->check(CLI::PositiveNumber);
  c12->add_option("--connections", fo.connections, "Publisher connections")
      ->check(CLI::Range(1, 64));
  c12->add_option("--data-bytes", fo.data_bytes, "Serialized data size");
  c12->add_flag("--find-max", fo.find_max,
                "Search the highest rate every subscriber sustains");
  c12->add_option("--start", fo.start, "With --find-max: first rate tried")
      ->check(CLI::PositiveNumber);
  c12->add_option("--precision", fo.precision,
                  "With --find-max: bisect down to this fraction")
      ->check(CLI::Range(0.001, 1.0));
  c12->add_option("--max-rate", fo.max_rate,
                  "With --find-max: stop doubling here")
      ->check(CLI::PositiveNumber);
  c12->add_option("--max-p99-ms", fo.max_p99_ms,
                  "A run whose p99 reaches this is not sustained")
      ->check(CLI::PositiveNumber);
  add_node_flags(c12, fo.node);
  add_common(c12, fo.out, &fo.repeat);

  restart_options rs;
  auto* c13 = app.add_subcommand(
      "restart", "Time from spawning heraldd on a large store to /readyz 200 "
                 "(issue 13)");
  c13->add_option("--events", rs.events, "Events in the store");
  c13->add_option("--data-dir", rs.data_dir,
                  "heraldd data dir holding (or to hold) the store")
      ->required();
  c13->add_flag("--kill", rs.kill,
                "Also SIGKILL the node and time the next start (recovery)");
  c13->add_option("--poll-ms", rs.poll_ms, "Probe period while starting")
      ->check(CLI::Range(1, 1000));
  c13->add_option("--deadline", rs.deadline_s, "Seconds allowed per start")
      ->check(CLI::Range(1, 86400));
  c13->add_option("--heraldd", rs.node.heraldd, "heraldd binary to spawn");
  c13->add_option("--durability", rs.node.durability, "sync|async")
      ->check(CLI::IsMember({"sync", "async"}));
  add_common(c13, rs.out, &rs.repeat);

  CLI11_PARSE(app, argc, argv);

  if (*c1)
    return run_ingest_inproc(inproc);
  if (*c2)
    return run_ingest_http(http);
  if (*c3)
    return run_live(live);
  if (*c4)
    return run_query(query);
  if (*c6)
    return run_auth(auth);
  if (*c7)
    return run_triggers_publish(tp);
  if (*c8)
    return run_schedule_lateness(sl);
  if (*c9)
    return run_workflow_runs(wr);
  if (*c10)
    return run_deliveries(dl);
  if (*c11)
    return run_live_max(lm);
  if (*c12)
    return run_fanout(fo);
  if (*c13)
    return run_restart(rs);
  return run_rss(rss);
}
