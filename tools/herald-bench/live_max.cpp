// Issue 13: the maximum sustained live rate. Each step is one `live`
// measurement (live_measure.cpp) at an offered rate on a fresh node
// (spawned; or the --url node, reused). A step passes when the subscriber
// got every event, its stream was not cut, the publisher offered the rate,
// ≥ 95 % of it arrived within the measured window and p99 < --max-p99-ms.
// Rates double from --start until one fails, then bisect between the last
// pass and the first failure down to --precision; one more step at half
// the highest pass gives the latency the target is about
// ("p99 ≤ 5 ms at half that rate").

#include <iostream>

#include "tools/herald-bench/live_measure.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

int run_live_max(const live_max_options& opts) {
  report rep;
  rep.scenario = "live-max";
  rep.params = {
      {"start", opts.start},           {"precision", opts.precision},
      {"max_rate", opts.max_rate},     {"max_p99_ms", opts.max_p99_ms},
      {"seconds", opts.seconds},       {"warmup", opts.warmup},
      {"tick_ms", opts.tick_ms},       {"connections", opts.connections},
      {"data_bytes", opts.data_bytes}, {"durability", opts.node.durability},
      {"url", opts.node.url},          {"repeat", opts.repeat}};
  live_step_options base;
  base.seconds = opts.seconds;
  base.warmup = opts.warmup;
  base.tick_ms = opts.tick_ms;
  base.connections = opts.connections;
  base.data_bytes = opts.data_bytes;
  rate_search_options search;
  search.start = opts.start;
  search.precision = opts.precision;
  search.max_rate = opts.max_rate;
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run =
        live_search(opts.node, "live-max", base, search, opts.max_p99_ms);
    if (run.contains("error")) {
      std::cerr << "live-max: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    auto max_rate = run["max_rate"].get<double>();
    std::string summary = "max sustained " + fixed(max_rate, 0) +
                          " events/s (" + std::to_string(run["steps"].size()) +
                          " steps; " + run["limit"].get<std::string>() + ")";
    if (run.contains("at_max"))
      summary += "; at max " + step_latency(run["at_max"]);
    summary += at_half_summary(run);
    run["summary"] = summary;
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/max_rate", "/at_max/latency/p99_ms",
                      "/at_half/latency/p50_ms", "/at_half/latency/p99_ms"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
