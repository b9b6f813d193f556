// Issue 13: restart time on a large store. The store is built once in
// DATA_DIR/store (bench_store.cpp, the same as `query`'s: one DATA_DIR
// serves both) and reused; then, --repeat times, heraldd is spawned on
// DATA_DIR and probed every --poll-ms: the times from the fork to
// ports.json (HTTP bound), to the first /healthz 200 and to the first
// /readyz 200 (the node has loaded its state and stored server.ready).
// Then it is stopped with SIGTERM (time to exit reported). A data dir
// heraldd never ran on gets one unmeasured start first (it creates the
// node's identity and credentials once). With --kill
// each repeat also SIGKILLs that node and times the next start (the
// recovery path: RocksDB replays its WAL), which is then stopped with
// SIGTERM.

#include <filesystem>
#include <iostream>

#include "tools/herald-bench/bench_store.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace fs = std::filesystem;

namespace {

/// Starts `child` on the store with start-up timing; "" or why not.
std::string start_timed(const restart_options& opts, heraldd_child& child,
                        nlohmann::json& out) {
  child.watch_start(opts.poll_ms);
  if (auto err =
          child.start(heraldd_binary(opts.node.heraldd), opts.data_dir,
                      {"--durability", opts.node.durability}, opts.deadline_s);
      !err.empty())
    return err;
  const auto& t = child.times();
  out = {{"ports_ms", t.ports_ms},
         {"healthz_ms", t.healthz_ms},
         {"readyz_ms", t.readyz_ms}};
  if (auto rss = rss_kib(child.pid()))
    out["rss_kib_ready"] = *rss;
  return {};
}

/// The start's log is removed once the node ended as expected (a clean
/// SIGTERM exit, or the SIGKILL we sent); otherwise kept for the reader.
void drop_log(const heraldd_child& child) {
  std::error_code ec;
  fs::remove(child.log_path(), ec);
}

std::string ms(const nlohmann::json& j, const char* key) {
  return fixed(j[key].get<double>(), 0) + " ms";
}

} // namespace

int run_restart(const restart_options& opts) {
  if (opts.data_dir.empty()) {
    std::cerr << "restart: --data-dir is required\n";
    return 1;
  }
  report rep;
  rep.scenario = "restart";
  rep.params = {{"events", opts.events},
                {"data_dir", opts.data_dir},
                {"kill", opts.kill},
                {"poll_ms", opts.poll_ms},
                {"repeat", opts.repeat},
                {"durability", opts.node.durability},
                {"deadline_s", opts.deadline_s}};
  auto build = ensure_bench_store(opts.data_dir, opts.events, "restart");
  if (build.contains("error")) {
    std::cerr << "restart: " << build["error"].get<std::string>() << "\n";
    return 1;
  }
  auto store_bytes = dir_bytes((fs::path{opts.data_dir} / "store").string());
  build["store_bytes"] = store_bytes;
  rep.params["build"] = build;
  std::cout << "restart: store "
            << fixed(static_cast<double>(store_bytes) / 1e9, 2)
            << " GB on disk\n"
            << std::flush;
  if (!fs::exists(fs::path{opts.data_dir} / "admin.token")) {
    // A data dir heraldd never ran on: its first start also creates the
    // node's identity and credentials, which no restart repeats. Start and
    // stop it once, unmeasured (its times go in the parameters).
    heraldd_child child;
    nlohmann::json first;
    if (auto err = start_timed(opts, child, first); !err.empty()) {
      std::cerr << "restart (first start): " << err << "\n";
      return 1;
    }
    if (child.stop() == 0)
      drop_log(child);
    rep.params["first_start"] = first;
    std::cout << "restart: first start on this data dir (not counted): ready "
              << ms(first, "readyz_ms") << "\n"
              << std::flush;
  }
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    nlohmann::json run;
    run["store_bytes"] = store_bytes;
    {
      heraldd_child child;
      nlohmann::json clean;
      if (auto err = start_timed(opts, child, clean); !err.empty()) {
        std::cerr << "restart: " << err << "\n";
        return 1;
      }
      run["clean"] = clean;
      if (opts.kill) {
        child.kill();
        drop_log(child);
      } else {
        auto t0 = clock_type::now();
        auto status = child.stop();
        run["stop_ms"] = seconds_since(t0) * 1e3;
        run["stop_status"] = status;
        if (status == 0)
          drop_log(child);
      }
    }
    if (opts.kill) {
      heraldd_child child;
      nlohmann::json after;
      if (auto err = start_timed(opts, child, after); !err.empty()) {
        std::cerr << "restart (after SIGKILL): " << err << "\n";
        return 1;
      }
      run["after_kill"] = after;
      auto t0 = clock_type::now();
      auto status = child.stop();
      run["stop_ms"] = seconds_since(t0) * 1e3;
      run["stop_status"] = status;
      if (status == 0)
        drop_log(child);
    }
    std::string summary = "ready " + ms(run["clean"], "readyz_ms") +
                          " (HTTP up " + ms(run["clean"], "ports_ms") +
                          ", /healthz " + ms(run["clean"], "healthz_ms") + ")";
    if (run.contains("after_kill"))
      summary += "; after SIGKILL ready " + ms(run["after_kill"], "readyz_ms") +
                 " (/healthz " + ms(run["after_kill"], "healthz_ms") + ")";
    summary += "; SIGTERM to exit " + ms(run, "stop_ms");
    if (run["stop_status"].get<int>() != 0)
      summary += " (exit status " +
                 std::to_string(run["stop_status"].get<int>()) + ")";
    run["summary"] = summary;
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  std::vector<std::string> keys{"/clean/readyz_ms", "/clean/healthz_ms",
                                "/clean/ports_ms", "/stop_ms"};
  if (opts.kill) {
    keys.push_back("/after_kill/readyz_ms");
    keys.push_back("/after_kill/healthz_ms");
  }
  rep.compute_median(keys);
  rep.compute_max(keys);
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
