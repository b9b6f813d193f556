#pragma once

// herald-bench's scenarios, one file each. Every scenario runs `repeat`
// times, prints one summary line per run and the median, and returns the
// process exit code (0 ok, 1 the scenario failed). Commands and figures:
// docs/BENCHMARKS.md.

#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/herald-bench/bench_common.hpp"
#include "tools/herald-bench/heraldd_child.hpp"

namespace herald::bench {

/// (a) Durable ingest through the in-process publish API.
struct ingest_inproc_options {
  uint64_t events = 1000000;
  size_t batch = 1000;
  size_t publishers = 4;
  size_t data_bytes = 256;
  std::string data_dir; ///< each run: a fresh temp dir under it (/var/tmp)
  std::string durability = "sync";
  bool keep = false; ///< keep the data dir afterwards
  int repeat = 3;
  report_options out;
};
int run_ingest_inproc(const ingest_inproc_options& opts);

/// (a) Durable ingest through HTTP batches.
struct ingest_http_options {
  node_target node;
  uint64_t events = 1000000;
  size_t batch = 1000;
  size_t connections = 4;
  size_t data_bytes = 256;
  int repeat = 3;
  report_options out;
};
int run_ingest_http(const ingest_http_options& opts);

/// (b) publish → live WebSocket subscriber at a fixed offered rate.
struct live_options {
  node_target node;
  double rate = 10000;     ///< offered events/s (open loop)
  double seconds = 20;     ///< measured period
  double warmup = 2;       ///< seconds discarded first
  double tick_ms = 1;      ///< one batch every tick: rate * tick events
  size_t connections = 16; ///< publisher connections sharing the ticks
  size_t data_bytes = 256;
  /// Live subscribers on the same stream (fan-out): deliveries/s counts
  /// every subscriber's frames, latency every frame of every subscriber.
  size_t subscribers = 1;
  /// Subscribe on another node of the cluster (http://HOST:PORT, the same
  /// token): cross-node delivery; empty: the publishing node.
  std::string subscribe_url;
  int repeat = 3;
  report_options out;
};
int run_live(const live_options& opts);

/// Issue 13: the highest live rate sustained (nothing missing, nothing
/// cut, ≥ 95 % arriving in the window, p99 < max_p99_ms), searched by
/// doubling from `start` then bisecting, each step a `live` measurement on
/// a fresh node; then one step at half that rate.
struct live_max_options {
  node_target node;
  double start = 10000;     ///< first rate tried, events/s
  double precision = 0.10;  ///< bisect until within this fraction
  double max_rate = 1e6;    ///< stop doubling here
  double max_p99_ms = 1000; ///< a step whose p99 reaches this fails
  double seconds = 5;       ///< measured per step
  double warmup = 2;        ///< discarded per step
  double tick_ms = 1;
  size_t connections = 16;
  size_t data_bytes = 256;
  int repeat = 1; ///< whole searches
  report_options out;
};
int run_live_max(const live_max_options& opts);

/// Issue 13: `subscribers` live streams on one pattern while `rate`
/// events/s are offered (or, with find_max, the highest rate all of them
/// sustain, searched as live-max does).
struct fanout_options {
  node_target node;
  size_t subscribers = 10;
  std::string name; ///< the streams' name pattern ("": every event)
  double rate = 5000;
  double seconds = 10;
  double warmup = 2;
  double tick_ms = 1;
  size_t connections = 16;
  size_t data_bytes = 256;
  bool find_max = false;
  double start = 2000; ///< with find_max: first rate tried
  double precision = 0.10;
  double max_rate = 1e6;
  double max_p99_ms = 1000;
  int repeat = 3;
  report_options out;
};
int run_fanout(const fanout_options& opts);

/// Issue 13: time from spawning heraldd on a store of `events` events
/// (built once in data_dir, as `query` builds it) to its first /healthz
/// and /readyz 200; with `kill`, also after a SIGKILL (recovery).
struct restart_options {
  node_target node; ///< url ignored: the node must run on data_dir
  uint64_t events = 10000000;
  std::string data_dir; ///< required: the store is built here once
  bool kill = false;
  int poll_ms = 2;      ///< probe period while starting
  int deadline_s = 600; ///< per start
  int repeat = 5;
  report_options out;
};
int run_restart(const restart_options& opts);

/// (c) Scoped queries over a large store built once and reused.
struct query_options {
  node_target node; ///< url ignored: the node must run on data_dir
  uint64_t events = 10000000;
  std::string data_dir;  ///< required: the store is built here once
  size_t queries = 2000; ///< per kind, after the warm-up
  size_t warmup = 200;
  size_t limit = 100;
  bool inproc = false; ///< also query the store in-process
  int repeat = 3;
  report_options out;
};
int run_query(const query_options& opts);

/// What authentication costs: login latency (argon2id) and the per-request
/// cost of a bearer check (service token, JWT) against an unauthenticated
/// baseline. Spawned nodes only (the bench user comes from --users).
struct auth_options {
  node_target node;
  size_t logins = 100;    ///< sequential logins per run
  size_t requests = 5000; ///< requests per credential kind per run
  int repeat = 3;
  report_options out;
};
int run_auth(const auth_options& opts);

/// Idle RSS, then RSS under sustained load with one stalled subscriber.
struct rss_options {
  node_target node;
  double idle_seconds = 5;
  double seconds = 300;
  double rate = 10000;
  double sample_s = 1;
  size_t connections = 16; ///< publisher connections sharing the ticks
  size_t data_bytes = 256;
  report_options out;
};
int run_rss(const rss_options& opts);

/// Issue 10: the durable HTTP publish rate of a node with `triggers`
/// event triggers defined against the same node with one, alternated
/// on two spawned nodes.
struct triggers_publish_options {
  node_target node;         ///< url not supported: needs two spawned nodes
  size_t triggers = 100000; ///< event triggers on the loaded node
  size_t matching = 10;     ///< of them, how many match some published events
  size_t setup_connections = 8; ///< concurrent PUTs while defining
  double setup_timeout_s = 1800;
  uint64_t events = 300000; ///< per publish measurement
  size_t batch = 1000;
  size_t connections = 4;
  size_t data_bytes = 256;
  double catchup_timeout_s = 60; ///< wait for the matched runs to end
  int repeat = 3;                ///< alternated pairs of measurements
  report_options out;
};
int run_triggers_publish(const triggers_publish_options& opts);

/// Issue 10: `due` schedule triggers all due at the same instant (the
/// start of a minute chosen so that defining them ends before it), among
/// `defined` triggers in all; lateness of their runs, time until all
/// ended, node RSS.
struct schedule_lateness_options {
  node_target node;        ///< url not supported: RSS needs the pid
  size_t due = 10000;      ///< triggers firing at the instant
  size_t defined = 100000; ///< triggers defined in all (≥ due; the rest
                           ///< are not due during the run)
  size_t setup_connections = 8;
  double setup_timeout_s = 1800;
  double margin_s = 15;   ///< at least this between setup end and instant
  double timeout_s = 300; ///< after the instant, for all runs to end
  int repeat = 3;
  report_options out;
};
int run_schedule_lateness(const schedule_lateness_options& opts);

/// Issue 10: runs/s of the one-emit workflow started by POST …/run from
/// `clients` concurrent connections; a run is done when its task_end is
/// stored (herald_tasks_ended_total).
struct workflow_runs_options {
  node_target node;
  uint64_t runs = 20000;
  size_t clients = 16;
  double timeout_s = 300;
  int repeat = 3;
  report_options out;
};
int run_workflow_runs(const workflow_runs_options& opts);

/// Issue 11: webhook deliveries to a receiver in this process: one
/// subscription, many, an outage with half the requests failing, and RSS
/// with subscriptions stalled on a dead receiver (deliveries.cpp).
struct deliveries_options {
  node_target node;
  uint64_t events = 50000;     ///< delivered through one subscription
  uint64_t events_many = 2000; ///< delivered through each of `subscriptions`
  size_t subscriptions = 100;
  double outage_s = 30;
  double rate = 500; ///< events/s published during and after the outage
  double stall_s = 60;
  double stall_rate = 2000;
  double timeout_s = 300;
  int repeat = 1;
  report_options out;
};
int run_deliveries(const deliveries_options& opts);

} // namespace herald::bench
