// (c) Scoped queries over a large store. The store is built once in
// DATA_DIR/store (directly through event_store::append, unsynced batches of
// 8192, resumable: progress is kept in meta "bench_built") and reused by
// every later run; heraldd is then started on DATA_DIR and answers
// GET /api/v1/events?...&limit=100 on one keep-alive connection, one query
// at a time. Query kinds: scope prefixes at depths 1-4, exact names,
// tenants, and tenant + 2-level scope (an index intersection); asc and desc
// alternate. With --inproc the same queries also run on the store directly
// (before the node starts: RocksDB allows one process).
//
// Also one level of the scope tree (GET /api/v1/scopes?parent=…&limit=100,
// event_store::list_scopes in-process) below the roots ("tree0") and below
// scopes of depth 1-3 ("tree1".."tree3"), as the admin token (no event
// read for visibility). They are not in "all", which stays the events
// queries'.

#include <filesystem>
#include <iostream>
#include <optional>

#include "runtime/identity.hpp"
#include "runtime/text_util.hpp"
#include "storage/event_store.hpp"
#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/bench_store.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace fs = std::filesystem;

namespace {

struct query_spec {
  std::string kind;
  storage::event_query q;
  /// A scope-tree kind: the parent whose level is listed ("" = roots).
  std::optional<std::string> tree;
};

const std::vector<std::string> kinds{
    "scope1",        "scope2", "scope3", "scope4", "name", "tenant",
    "tenant+scope2", "tree0",  "tree1",  "tree2",  "tree3"};

query_spec make_query(const std::string& kind, uint64_t i, size_t limit) {
  query_spec s;
  s.kind = kind;
  s.q.limit = limit;
  s.q.descending = i % 2 == 1;
  if (kind.rfind("tree", 0) == 0) {
    const int depth = kind.back() - '0';
    s.tree = depth == 0 ? std::string{} : pick_scope(i, depth);
  } else if (kind.rfind("scope", 0) == 0)
    s.q.scope = pick_scope(i, kind.back() - '0');
  else if (kind == "name")
    s.q.name = pick_name(i);
  else if (kind == "tenant")
    s.q.tenant = pick_tenant(i);
  else {
    s.q.tenant = pick_tenant(i);
    s.q.scope = pick_scope(i, 2);
  }
  return s;
}

std::string target_of(const query_spec& spec) {
  if (spec.tree)
    return "/api/v1/scopes?limit=" + std::to_string(spec.q.limit) +
           (spec.tree->empty()
                ? std::string{}
                : "&parent=" + runtime::percent_encode(*spec.tree));
  const auto& q = spec.q;
  std::string t = "/api/v1/events?limit=" + std::to_string(q.limit);
  if (q.descending)
    t += "&order=desc";
  if (q.scope)
    t += "&scope=" + runtime::percent_encode(*q.scope);
  if (q.name)
    t += "&name=" + runtime::percent_encode(*q.name);
  if (q.tenant)
    t += "&tenant=" + runtime::percent_encode(*q.tenant);
  return t;
}

/// Runs warm-up + measured queries of every kind through `run_one` (which
/// returns the number of events the page held, or -1 on failure).
template <class F>
nlohmann::json measure(const query_options& opts, uint64_t seed, F&& run_one) {
  nlohmann::json out = nlohmann::json::object();
  std::vector<int64_t> all;
  for (const auto& kind : kinds) {
    for (size_t i = 0; i < opts.warmup; ++i)
      if (run_one(make_query(kind, seed + i, opts.limit)) < 0)
        return {{"error", kind + " query failed"}};
    std::vector<int64_t> samples;
    size_t short_pages = 0;
    for (size_t i = 0; i < opts.queries; ++i) {
      auto spec = make_query(kind, seed + opts.warmup + i, opts.limit);
      auto t0 = mono_ns();
      auto n = run_one(spec);
      samples.push_back(mono_ns() - t0);
      if (n < 0)
        return {{"error", kind + " query failed: " + target_of(spec)}};
      if (static_cast<size_t>(n) < opts.limit)
        ++short_pages;
    }
    if (kind.rfind("tree", 0) != 0)
      all.insert(all.end(), samples.begin(), samples.end());
    auto st = summarize(samples);
    out[kind] = st.to_json();
    out[kind]["short_pages"] = short_pages;
  }
  out["all"] = summarize(all).to_json();
  return out;
}

} // namespace

int run_query(const query_options& opts) {
  if (opts.data_dir.empty()) {
    std::cerr << "query: --data-dir is required\n";
    return 1;
  }
  report rep;
  rep.scenario = "query";
  rep.params = {{"events", opts.events},   {"data_dir", opts.data_dir},
                {"queries", opts.queries}, {"warmup", opts.warmup},
                {"limit", opts.limit},     {"repeat", opts.repeat}};
  auto build = ensure_bench_store(opts.data_dir, opts.events, "query");
  if (build.contains("error")) {
    std::cerr << "query: " << build["error"].get<std::string>() << "\n";
    return 1;
  }
  build["store_bytes"] =
      dir_bytes((fs::path{opts.data_dir} / "store").string());
  rep.params["build"] = build;
  std::cout << "query: store "
            << fixed(build["store_bytes"].get<double>() / 1e9, 2)
            << " GB on disk\n"
            << std::flush;
  rep.load_before = load_average();

  std::vector<nlohmann::json> inproc_runs;
  if (opts.inproc) {
    storage::store_options sopts;
    sopts.dir = fs::path{opts.data_dir} / "store";
    auto opened = storage::event_store::open(sopts);
    if (!opened) {
      std::cerr << "query: cannot open the store\n";
      return 1;
    }
    auto who = runtime::identity::anonymous_admin();
    for (int r = 0; r < opts.repeat; ++r) {
      auto m = measure(opts, 1000003ULL * r, [&](const query_spec& spec) {
        if (spec.tree) {
          auto level =
              (*opened)->list_scopes(*spec.tree, {}, spec.q.limit, who);
          return level ? static_cast<long>(level->scopes.size()) : -1L;
        }
        auto page = (*opened)->query(spec.q, who);
        return page ? static_cast<long>(page->events.size()) : -1L;
      });
      if (m.contains("error")) {
        std::cerr << "query (in-process): " << m["error"].get<std::string>()
                  << "\n";
        return 1;
      }
      inproc_runs.push_back(std::move(m));
    }
  }

  heraldd_child child;
  if (auto err = child.start(heraldd_binary(opts.node.heraldd), opts.data_dir,
                             {"--durability", opts.node.durability});
      !err.empty()) {
    std::cerr << "query: " << err << "\n";
    return 1;
  }
  http_conn conn{"127.0.0.1", child.http_port(), child.token()};
  for (int r = 0; r < opts.repeat; ++r) {
    auto m = measure(opts, 1000003ULL * r, [&](const query_spec& spec) {
      auto res = conn.get(target_of(spec));
      if (!res.ok())
        return -1L;
      if (spec.tree) {
        auto level = nlohmann::json::parse(res.body, nullptr, false);
        return level.is_object() && level["scopes"].is_array()
                   ? static_cast<long>(level["scopes"].size())
                   : -1L;
      }
      // Count events without parsing: one "seq": per event.
      long n = 0;
      for (auto p = res.body.find("\"seq\":"); p != std::string::npos;
           p = res.body.find("\"seq\":", p + 1))
        ++n;
      return n;
    });
    if (m.contains("error")) {
      std::cerr << "query (HTTP): " << m["error"].get<std::string>() << "\n";
      return 1;
    }
    nlohmann::json run{{"http", m}};
    if (!inproc_runs.empty())
      run["inproc"] = inproc_runs[r];
    std::string summary;
    for (const auto& kind : kinds)
      summary += kind + " p50 " + fixed(m[kind]["p50_ms"].get<double>(), 2) +
                 " p99 " + fixed(m[kind]["p99_ms"].get<double>(), 2) + "; ";
    run["summary"] = "HTTP ms: " + summary;
    if (auto rss = rss_kib(child.pid()))
      run["rss_kib"] = *rss;
    rep.runs.push_back(std::move(run));
  }
  child.stop();
  rep.load_after = load_average();
  std::vector<std::string> keys;
  for (const auto& kind : kinds) {
    keys.push_back("/http/" + kind + "/p50_ms");
    keys.push_back("/http/" + kind + "/p99_ms");
    if (opts.inproc) {
      keys.push_back("/inproc/" + kind + "/p50_ms");
      keys.push_back("/inproc/" + kind + "/p99_ms");
    }
  }
  keys.push_back("/http/all/p50_ms");
  keys.push_back("/http/all/p99_ms");
  rep.compute_median(keys);
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
