// Issue 10 (a) triggers-publish: what many event triggers cost the publish
// path. Two spawned nodes, each with the one-emit workflow: "one" gets a
// single event trigger, "many" gets `triggers` of them, defined over HTTP
// by `setup_connections` concurrent connections. All but `matching` of
// them never match a published event, with patterns spread over the
// names the publisher uses so the matcher walks real prefixes:
//
//   i % 4 == 0   bench.<i % 1000>.*.t<i>        (no such first segment)
//   i % 4 == 1   <source>.<entity>.<verb>.t<i>  (one segment too many)
//   i % 4 == 2   <source>.*.v<i>                (no such verb)
//   i % 4 == 3   <source>.<entity>.x<i>.>       (no such verb)
//
// The `matching` ones are <source>.<entity>.* with a tenant filter, taken
// from the published events, so each matches about 1 event in 16,000 and
// starts a run; the one trigger of "one" is the first of them. Then, per
// repeat, ingest-http's closed-loop publisher runs against both nodes
// (alternating which goes first), and the bench waits until the runs the
// matched events started have ended (their number is known in advance),
// reporting how long after the publish that took.

#include <array>
#include <iostream>
#include <thread>

#include "tools/herald-bench/automation_common.hpp"
#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/http_batch_publisher.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

constexpr size_t distinct_bodies = 16;
const std::string ended_ok = "herald_tasks_ended_total{state=\"succeeded\"}";
const std::string ended_failed = "herald_tasks_ended_total{state=\"failed\"}";

/// "a.b.c" → {"a","b","c"}.
std::vector<std::string> segments(const std::string& name) {
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    auto dot = name.find('.', from);
    out.push_back(name.substr(from, dot - from));
    if (dot == std::string::npos)
      return out;
    from = dot + 1;
  }
}

/// The pattern of non-matching trigger `i` (see the top of the file).
std::string idle_pattern(size_t i) {
  auto seg = segments(shape_of(i).name); // source, entity, verb
  const auto n = std::to_string(i);
  switch (i % 4) {
  case 0:
    return "bench." + std::to_string(i % 1000) + ".*.t" + n;
  case 1:
    return seg[0] + "." + seg[1] + "." + seg[2] + ".t" + n;
  case 2:
    return seg[0] + ".*.v" + n;
  default:
    return seg[0] + "." + seg[1] + ".x" + n + ".>";
  }
}

/// A matching trigger: events named <source>.<entity>.* of one tenant.
struct matcher {
  std::string prefix; ///< "<source>.<entity>."
  std::string tenant;

  std::string pattern() const { return prefix + "*"; }
  bool matches(const event_shape& s) const {
    return s.tenant == tenant && s.name.rfind(prefix, 0) == 0;
  }
};

/// Matching trigger `j`: the source, entity and tenant of a published
/// event (ordinal j·97 of the bodies).
matcher matcher_of(size_t j, size_t batch) {
  auto s = shape_of((j * 97) % (distinct_bodies * batch));
  auto seg = segments(s.name);
  return {seg[0] + "." + seg[1] + ".", s.tenant};
}

std::string trigger_body(const std::string& pattern,
                         const std::string& tenant) {
  nlohmann::json t{
      {"type", "event"}, {"event", pattern}, {"workflow", bench_workflow_id}};
  if (!tenant.empty())
    t["filter"] = {{"tenant", {tenant}}};
  return t.dump();
}

/// How many runs `batches` requests start: request b carries body
/// b % 16, i.e. ordinals (b % 16)·batch … +batch−1.
uint64_t expected_runs(const std::vector<matcher>& ms, size_t batch,
                       uint64_t batches) {
  uint64_t total = 0;
  for (size_t b = 0; b < distinct_bodies; ++b) {
    uint64_t uses = batches / distinct_bodies + (b < batches % distinct_bodies);
    if (uses == 0)
      continue;
    uint64_t per_body = 0;
    for (size_t o = b * batch; o < (b + 1) * batch; ++o) {
      auto s = shape_of(o);
      for (const auto& m : ms)
        per_body += m.matches(s);
    }
    total += per_body * uses;
  }
  return total;
}

/// A node under test and its expected runs per publish.
struct side {
  explicit side(const char* l) : label(l) {}
  const char* label;
  bench_node node;
  std::vector<matcher> matchers;
  uint64_t runs_per_publish = 0;
};

/// One publish measurement against `s`, then the wait for its runs.
nlohmann::json measure(side& s, const triggers_publish_options& opts,
                       const std::vector<std::string>& bodies) {
  http_conn mconn{s.node.host(), s.node.port(), s.node.token()};
  auto before = scrape_metrics(mconn);
  if (!before)
    return {{"error", std::string{s.label} + ": /metrics did not answer"}};
  const double base = sample(*before, ended_ok) + sample(*before, ended_failed);
  http_batch_publish p;
  p.host = s.node.host();
  p.port = s.node.port();
  p.token = s.node.token();
  p.batches = (opts.events + opts.batch - 1) / opts.batch;
  p.batch = opts.batch;
  p.connections = opts.connections;
  const auto cpu0 = cpu_seconds(s.node.pid()).value_or(0);
  auto run = publish_batches(p, bodies);
  // The node's CPU per event published (matching included).
  run["node_cpu_us_per_event"] =
      (cpu_seconds(s.node.pid()).value_or(0) - cpu0) * 1e6 /
      static_cast<double>(p.batches * p.batch);
  if (run.contains("error")) {
    run["error"] =
        std::string{s.label} + ": publish: " + run["error"].get<std::string>();
    return run;
  }
  // The matched events' runs: all ended, and how long after the publish.
  auto start = clock_type::now();
  double ended = 0, failed = 0;
  metric_samples last = *before;
  for (;;) {
    if (auto m = scrape_metrics(mconn)) {
      last = std::move(*m);
      ended = sample(last, ended_ok) + sample(last, ended_failed) - base;
      failed = sample(last, ended_failed) - sample(*before, ended_failed);
    }
    if (ended >= static_cast<double>(s.runs_per_publish) ||
        seconds_since(start) > opts.catchup_timeout_s)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run["runs_expected"] = s.runs_per_publish;
  run["runs_ended"] = ended;
  run["runs_failed"] = failed;
  run["runs_catchup_s"] = seconds_since(start);
  run["writes"] = write_stats(*before, last);
  if (auto rss = rss_kib(s.node.pid()))
    run["rss_mib_after"] = mib(*rss);
  return run;
}

} // namespace

int run_triggers_publish(const triggers_publish_options& opts) {
  report rep;
  rep.scenario = "triggers-publish";
  const size_t matching = std::min(opts.matching, opts.triggers);
  rep.params = {{"triggers", opts.triggers},
                {"matching", matching},
                {"setup_connections", opts.setup_connections},
                {"events", opts.events},
                {"batch", opts.batch},
                {"connections", opts.connections},
                {"data_bytes", opts.data_bytes},
                {"durability", opts.node.durability},
                {"repeat", opts.repeat}};
  auto fail = [](const std::string& why) {
    std::cerr << "triggers-publish: " << why << "\n";
    return 1;
  };
  if (!opts.node.url.empty())
    return fail("needs two spawned nodes (no --url)");
  if (opts.triggers == 0)
    return fail("--triggers must be at least 1");
  std::vector<std::string> bodies;
  for (size_t i = 0; i < distinct_bodies; ++i)
    bodies.push_back(
        make_batch_json(i * opts.batch, opts.batch, 0, opts.data_bytes));
  rep.load_before = load_average();

  side one{"one"};
  side many{"many"};
  for (auto* s : {&one, &many})
    if (auto err = s->node.open(opts.node, std::string{"tp-"} + s->label);
        !err.empty())
      return fail(std::string{s->label} + ": " + err);
  http_conn one_conn{one.node.host(), one.node.port(), one.node.token()};
  http_conn many_conn{many.node.host(), many.node.port(), many.node.token()};
  for (auto* c : {&one_conn, &many_conn})
    if (auto err = put_bench_workflow(*c); !err.empty())
      return fail(err);
  const auto idle_kib = rss_kib(many.node.pid()).value_or(0);

  // The triggers: "many" gets `triggers`, `matching` of them at evenly
  // spread ids; "one" gets the first matching one.
  const size_t stride = opts.triggers / std::max<size_t>(matching, 1);
  std::vector<definition_put> defs;
  defs.reserve(opts.triggers);
  for (size_t i = 0; i < opts.triggers; ++i) {
    std::string target = "/api/v1/triggers/bench-" + std::to_string(i);
    if (matching > 0 && i % stride == 0 && i / stride < matching) {
      auto m = matcher_of(i / stride, opts.batch);
      defs.push_back({target, trigger_body(m.pattern(), m.tenant)});
      many.matchers.push_back(m);
      if (one.matchers.empty()) {
        one.matchers.push_back(m);
        auto r = define_all(one.node.host(), one.node.port(), one.node.token(),
                            {defs.back()}, 1, 60);
        if (!r.error.empty())
          return fail("one: " + r.error);
      }
    } else {
      defs.push_back({target, trigger_body(idle_pattern(i), {})});
    }
  }
  if (one.matchers.empty()) { // --matching 0: "one" gets an idle trigger
    auto r = define_all(one.node.host(), one.node.port(), one.node.token(),
                        {defs.front()}, 1, 60);
    if (!r.error.empty())
      return fail("one: " + r.error);
  }
  std::cout << "triggers-publish: defining " << opts.triggers
            << " event triggers over " << opts.setup_connections
            << " connections…" << std::endl;
  auto setup = define_all(many.node.host(), many.node.port(), many.node.token(),
                          defs, opts.setup_connections, opts.setup_timeout_s);
  if (!setup.error.empty())
    return fail("many: " + setup.error);
  auto m = scrape_metrics(many_conn);
  const double enabled =
      m ? sample(*m, "herald_triggers_enabled{type=\"event\"}") : -1;
  if (enabled != static_cast<double>(opts.triggers))
    return fail("many: herald_triggers_enabled{type=\"event\"} is " +
                fixed(enabled, 0) + ", not " + std::to_string(opts.triggers));
  const auto defined_kib = rss_kib(many.node.pid()).value_or(0);
  const auto one_kib = rss_kib(one.node.pid()).value_or(0);
  std::cout << "triggers-publish: defined in " << fixed(setup.seconds, 1)
            << " s (" << fixed(setup.per_s(), 0) << "/s, PUT p50 "
            << fixed(setup.latency.p50_ms, 2) << " ms p99 "
            << fixed(setup.latency.p99_ms, 2) << " ms); RSS "
            << fixed(mib(idle_kib)) << " → " << fixed(mib(defined_kib))
            << " MiB (one-trigger node " << fixed(mib(one_kib)) << " MiB)"
            << std::endl;
  const auto batches = (opts.events + opts.batch - 1) / opts.batch;
  one.runs_per_publish = expected_runs(one.matchers, opts.batch, batches);
  many.runs_per_publish = expected_runs(many.matchers, opts.batch, batches);
  rep.params["runs_per_publish"] = {{"one", one.runs_per_publish},
                                    {"many", many.runs_per_publish}};
  rep.params["setup"] = setup.to_json();
  rep.params["rss_mib"] = {{"many_idle", mib(idle_kib)},
                           {"many_defined", mib(defined_kib)},
                           {"one_defined", mib(one_kib)}};

  for (int r = 0; r < opts.repeat; ++r) {
    nlohmann::json run{{"first", r % 2 == 0 ? "one" : "many"}};
    for (auto* s :
         r % 2 == 0 ? std::array{&one, &many} : std::array{&many, &one}) {
      auto res = measure(*s, opts, bodies);
      if (res.contains("error"))
        return fail(res["error"].get<std::string>());
      run[s->label] = std::move(res);
    }
    const double a = run["one"]["events_per_s"].get<double>();
    const double b = run["many"]["events_per_s"].get<double>();
    run["ratio"] = b / a;
    run["setup_s"] = setup.seconds;
    run["setup_per_s"] = setup.per_s();
    run["rss_mib_defined"] = mib(defined_kib);
    auto runs = [](const nlohmann::json& x) {
      return fixed(x["runs_ended"].get<double>(), 0) + "/" +
             std::to_string(x["runs_expected"].get<uint64_t>()) +
             " runs ended " + fixed(x["runs_catchup_s"].get<double>(), 2) +
             " s after, node CPU " +
             fixed(x["node_cpu_us_per_event"].get<double>(), 1) + " µs/event";
    };
    run["summary"] = "1 trigger " + fixed(a, 0) + " events/s (" +
                     runs(run["one"]) + "); " + std::to_string(opts.triggers) +
                     " triggers " + fixed(b, 0) + " events/s (" +
                     runs(run["many"]) + "); ratio " + fixed(100 * b / a, 1) +
                     " %";
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median(
      {"/one/events_per_s", "/many/events_per_s", "/ratio",
       "/one/node_cpu_us_per_event", "/many/node_cpu_us_per_event",
       "/one/request_latency/p99_ms", "/many/request_latency/p99_ms",
       "/many/runs_catchup_s", "/setup_s", "/setup_per_s", "/rss_mib_defined"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
