// (a) Durable ingest through the in-process publish API: a store, an actor
// system configured like heraldd's (2 scheduler threads) and spawn_node;
// P publisher threads each send batches of B events with publish_sync and
// wait for the durable reply (closed loop, P requests in flight), so the
// writer's group commit sees up to P batches per fsync.

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/node.hpp"
#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"
#include "storage/event_store.hpp"
#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace fs = std::filesystem;

namespace {

constexpr size_t pool_size = 8192;

/// One run on a fresh store; the run's JSON, or an "error" member.
nlohmann::json ingest_once(const ingest_inproc_options& opts,
                           const std::vector<v1::Event>& pool) {
  auto dir = make_temp_dir(opts.data_dir.empty() ? std::string{"/var/tmp"}
                                                 : opts.data_dir,
                           "inproc");
  storage::store_options sopts;
  sopts.dir = fs::path{dir} / "store";
  sopts.sync = opts.durability != "async";
  auto opened = storage::event_store::open(sopts);
  if (!opened)
    return {{"error", "cannot open the store in " + sopts.dir.string() + ": " +
                          runtime::describe(opened.error()).message}};
  std::shared_ptr<storage::event_store> store = std::move(*opened);
  auto first_seq = store->last_seq();

  nlohmann::json run;
  {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", size_t{2});
    caf::actor_system sys{cfg};
    actors::node_options nopts;
    nopts.node_id = "n-bench";
    auto node = actors::spawn_node(sys, store, nopts);

    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mtx;
    std::string error;
    std::vector<int64_t> latencies;
    auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (size_t p = 0; p < opts.publishers; ++p)
      threads.emplace_back([&] {
        std::vector<int64_t> local;
        for (;;) {
          auto first = next.fetch_add(opts.batch);
          if (first >= opts.events || failed)
            break;
          auto count = std::min<uint64_t>(opts.batch, opts.events - first);
          std::vector<v1::Event> batch;
          batch.reserve(count);
          auto now = runtime::now_unix_ns();
          for (uint64_t i = 0; i < count; ++i) {
            batch.push_back(pool[(first + i) % pool.size()]);
            batch.back().set_id(runtime::new_uuid_v7(now));
            batch.back().set_time_ns(now);
          }
          auto t0 = mono_ns();
          auto res = actors::publish_sync(sys, node, std::move(batch),
                                          std::chrono::seconds(120));
          local.push_back(mono_ns() - t0);
          if (!res) {
            std::lock_guard<std::mutex> guard{mtx};
            error = runtime::describe(res.error()).message;
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
    auto appends = node.metrics->appends.load();
    auto stored = node.metrics->events_stored.load();
    auto largest = node.metrics->largest_batch.load();
    actors::stop_node(sys, node);
    if (failed) {
      run["error"] = error;
    } else {
      auto lat = summarize(latencies);
      double eps = static_cast<double>(stored) / elapsed;
      run = {{"events", stored},
             {"seconds", elapsed},
             {"events_per_s", eps},
             {"appends", appends},
             {"events_per_append",
              appends ? static_cast<double>(stored) / appends : 0.0},
             {"largest_append", largest},
             {"publish_latency", lat.to_json()},
             {"store_bytes", dir_bytes(sopts.dir.string())}};
      run["summary"] = fixed(eps, 0) + " events/s (" + std::to_string(stored) +
                       " events in " + fixed(elapsed, 2) + " s, " +
                       fixed(run["events_per_append"].get<double>(), 0) +
                       " events/append, publish p50 " + fixed(lat.p50_ms, 2) +
                       " ms p99 " + fixed(lat.p99_ms, 2) + " ms)";
    }
  }
  if (store->last_seq() - first_seq != run.value("events", uint64_t{0}) &&
      !run.contains("error"))
    run["error"] = "store holds an unexpected number of events";
  store->close();
  store.reset();
  if (opts.keep)
    run["data_dir"] = dir;
  else
    fs::remove_all(dir);
  return run;
}

} // namespace

int run_ingest_inproc(const ingest_inproc_options& opts) {
  report rep;
  rep.scenario = "ingest-inproc";
  rep.params = {
      {"events", opts.events},         {"batch", opts.batch},
      {"publishers", opts.publishers}, {"data_bytes", opts.data_bytes},
      {"durability", opts.durability}, {"repeat", opts.repeat}};
  std::vector<v1::Event> pool;
  pool.reserve(pool_size);
  for (uint64_t n = 0; n < pool_size; ++n)
    pool.push_back(make_event(n, 0, opts.data_bytes));
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = ingest_once(opts, pool);
    if (run.contains("error")) {
      std::cerr << "ingest-inproc: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/events_per_s", "/events_per_append",
                      "/publish_latency/p50_ms", "/publish_latency/p99_ms"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
