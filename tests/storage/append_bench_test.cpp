// Rough ingest and query timings (not assertions). Run by hand:
//   build-*/tests/storage_tests --gtest_also_run_disabled_tests
//     --gtest_filter='append_bench.*'
// HERALD_BENCH_DIR picks the directory (default: the system temp dir).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "storage/retention.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

using clock_type = std::chrono::steady_clock;

/// CPU seconds of the calling thread (contention-independent cost).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// CPU seconds of the whole process (writer + RocksDB's flush/compaction).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void run_bench(bool sync) {
  temp_dir dir;
  store_options opts;
  opts.dir =
      std::getenv("HERALD_BENCH_DIR") != nullptr
          ? std::filesystem::path{std::getenv("HERALD_BENCH_DIR")} / "bench-db"
          : dir.path() / "db";
  std::filesystem::remove_all(opts.dir);
  opts.sync = sync;
  auto store = event_store::open(opts);
  ASSERT_TRUE(store);
  constexpr int total = 100'000;
  constexpr int batch = 1000;
  const std::string payload = "\"" + std::string(254, 'x') + "\"";
  const char* names[] = {"iam.user.created", "iam.user.deleted",
                         "inv.item.updated", "trigger.event.ok"};
  const char* tenants[] = {"acme", "globex", "initech"};
  std::vector<v1::Event> evs;
  double append_s = 0;
  double append_cpu = 0;
  double build_cpu = 0; // building the test events (not the store's cost)
  const double process_cpu0 = process_cpu_seconds();
  int64_t t = 1'700'000'000'000'000'000;
  for (int b = 0; b < total / batch; ++b) {
    const double b0 = thread_cpu_seconds();
    evs.clear();
    for (int i = 0; i < batch; ++i) {
      int n = b * batch + i;
      auto ev = make_event("0190c3e2-7f00-7000-8000-" +
                               std::to_string(100000000000 + n),
                           names[n % 4], t += 1000);
      ev.set_source(n % 2 ? "iam" : "inv");
      ev.set_tenant(tenants[n % 3]);
      ev.set_user("user" + std::to_string(n % 50));
      ev.set_scope("inventory/proj" + std::to_string(n % 5) + "/app" +
                   std::to_string(n % 7) + "/1.0");
      ev.set_data_json(payload);
      evs.push_back(std::move(ev));
    }
    auto t0 = clock_type::now();
    auto c0 = thread_cpu_seconds();
    build_cpu += c0 - b0;
    auto r = (*store)->append(evs, "n1", t);
    append_s += seconds_since(t0);
    append_cpu += thread_cpu_seconds() - c0;
    ASSERT_TRUE(r) << caf::to_string(r.error());
  }
  std::printf("append: %d events in %.3f s = %.0f events/s (%s, 8 index "
              "entries/event, %zu-byte payload)\n",
              total, append_s, total / append_s, sync ? "sync" : "no sync",
              payload.size());
  std::printf("append: writer thread CPU %.3f s = %.1f us/event (load: "
              "see /proc/loadavg)\n",
              append_cpu, append_cpu * 1e6 / total);
  std::printf("append: process CPU without event building %.3f s = %.1f "
              "us/event (incl. flush/compaction so far)\n",
              process_cpu_seconds() - process_cpu0 - build_cpu,
              (process_cpu_seconds() - process_cpu0 - build_cpu) * 1e6 / total);

  auto time_query = [&](const char* what, event_query q) {
    auto t0 = clock_type::now();
    size_t n = 0;
    size_t pages = 0;
    for (;;) {
      auto page = (*store)->query(q, runtime::identity::anonymous_admin());
      ASSERT_TRUE(page);
      n += page->events.size();
      ++pages;
      if (page->next.empty())
        break;
      q.after = page->next;
    }
    std::printf("query %-34s %6zu events %4zu pages %.3f s\n", what, n, pages,
                seconds_since(t0));
  };
  event_query q;
  q.limit = 1000;
  time_query("all", q);
  q.tenant = "acme";
  q.name = "iam.*.created";
  time_query("tenant+wildcard name", q);
  q = {};
  q.limit = 1000;
  q.scope = "inventory/proj2";
  q.user = "user7";
  time_query("scope+user (sparse intersection)", q);
  q = {};
  q.limit = 100;
  q.since_ns = t - 1000 * 500;
  q.descending = true;
  time_query("last 500 by time, desc", q);
  std::printf("approximate size: %.1f MB\n",
              static_cast<double>((*store)->approximate_size()) / 1e6);

  // Retention: every event by age, in sweeps of 10k like the node's.
  {
    retention_policy p;
    p.max_age_ns = 1;
    auto t0 = clock_type::now();
    auto c0 = thread_cpu_seconds();
    uint64_t deleted = 0;
    for (int sweep = 0; sweep < 1000; ++sweep) {
      auto r = (*store)->expire(p, t + 2'000'000'000, 10000);
      ASSERT_TRUE(r) << caf::to_string(r.error());
      deleted += r->events_deleted;
      if (!r->more)
        break;
    }
    std::printf("expire: %llu events in %.3f s = %.0f events/s, thread CPU "
                "%.1f us/event\n",
                static_cast<unsigned long long>(deleted), seconds_since(t0),
                static_cast<double>(deleted) / seconds_since(t0),
                (thread_cpu_seconds() - c0) * 1e6 /
                    static_cast<double>(std::max<uint64_t>(deleted, 1)));
  }
  store->reset();
  std::filesystem::remove_all(opts.dir);
}

TEST(append_bench, DISABLED_100k_events_batches_of_1000_sync) {
  run_bench(true);
}

TEST(append_bench, DISABLED_100k_events_batches_of_1000_no_sync) {
  run_bench(false);
}

} // namespace
} // namespace herald::storage::test
