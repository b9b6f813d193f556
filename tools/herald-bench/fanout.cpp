// Issue 13: fan-out. --subscribers WebSocket streams on the same pattern
// (/api/v1/events/stream, live, --name or every event), each read on its
// own thread, while the paced publisher offers --rate events/s
// (live_measure.cpp, as `live`). Reports the total deliveries/s (summed
// over the subscribers), the least and most any subscriber received,
// missing, and latency over every delivery. --find-max searches the
// highest rate every subscriber sustains, as live-max does.

#include <iostream>

#include "tools/herald-bench/live_measure.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

std::string fixed_summary(const fanout_options& opts,
                          const live_step_result& res) {
  std::string why;
  bool ok = res.passes(opts.max_p99_ms, &why);
  auto run = res.to_json();
  return fixed(res.delivered_per_s, 0) + " deliveries/s in total (" +
         std::to_string(opts.subscribers) + " subscribers, " +
         fixed(opts.rate, 0) + "/s offered" +
         (opts.name.empty() ? std::string{}
                            : ", " + std::to_string(res.expected) +
                                  " events matched " + opts.name) +
         "), per subscriber " +
         std::to_string(run["received_min"].get<uint64_t>()) + ".." +
         std::to_string(run["received_max"].get<uint64_t>()) + " of " +
         std::to_string(res.expected) + " received, " +
         std::to_string(res.missing) + " missing, latency p50 " +
         fixed(res.latency.p50_ms, 2) + " ms p99 " +
         fixed(res.latency.p99_ms, 2) + " ms max " +
         fixed(res.latency.max_ms, 2) + " ms (published " +
         fixed(res.published_per_s, 0) + "/s, max send lag " +
         fixed(res.max_send_lag_ms, 2) + " ms)" +
         (ok ? std::string{} : "; not sustained: " + why);
}

} // namespace

int run_fanout(const fanout_options& opts) {
  report rep;
  rep.scenario = "fanout";
  rep.params = {{"subscribers", opts.subscribers},
                {"name", opts.name},
                {"rate", opts.rate},
                {"seconds", opts.seconds},
                {"warmup", opts.warmup},
                {"tick_ms", opts.tick_ms},
                {"connections", opts.connections},
                {"data_bytes", opts.data_bytes},
                {"find_max", opts.find_max},
                {"max_p99_ms", opts.max_p99_ms},
                {"durability", opts.node.durability},
                {"url", opts.node.url},
                {"repeat", opts.repeat}};
  live_step_options base;
  base.rate = opts.rate;
  base.seconds = opts.seconds;
  base.warmup = opts.warmup;
  base.tick_ms = opts.tick_ms;
  base.connections = opts.connections;
  base.data_bytes = opts.data_bytes;
  base.subscribers = opts.subscribers;
  base.name = opts.name;
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    nlohmann::json run;
    if (opts.find_max) {
      rate_search_options search;
      search.start = opts.start;
      search.precision = opts.precision;
      search.max_rate = opts.max_rate;
      run = live_search(opts.node, "fanout", base, search, opts.max_p99_ms);
      if (!run.contains("error")) {
        auto max_rate = run["max_rate"].get<double>();
        std::string summary =
            "max sustained " + fixed(max_rate, 0) + " events/s offered to " +
            std::to_string(opts.subscribers) + " subscribers (" +
            run["limit"].get<std::string>() + ")";
        if (run.contains("at_max")) {
          run["total_delivered_per_s"] = run["at_max"]["delivered_per_s"];
          summary += ": " +
                     fixed(run["at_max"]["delivered_per_s"].get<double>(), 0) +
                     " deliveries/s in total, " + step_latency(run["at_max"]);
        }
        summary += at_half_summary(run);
        run["summary"] = summary;
      }
    } else {
      auto res = measure_live_on(opts.node, "fanout", base);
      if (!res.error.empty())
        run = {{"error", res.error}};
      else {
        run = res.to_json();
        run["received_per_subscriber"] = res.received;
        run["pass"] = res.passes(opts.max_p99_ms);
        run["summary"] = fixed_summary(opts, res);
      }
    }
    if (run.contains("error")) {
      std::cerr << "fanout: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  if (opts.find_max)
    rep.compute_median({"/max_rate", "/total_delivered_per_s",
                        "/at_max/latency/p99_ms", "/at_half/latency/p99_ms"});
  else
    rep.compute_median({"/delivered_per_s", "/received_in_window_per_s",
                        "/latency/p50_ms", "/latency/p99_ms", "/missing",
                        "/received_min"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
