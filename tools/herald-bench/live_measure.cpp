#include "tools/herald-bench/live_measure.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "runtime/subject.hpp"
#include "runtime/text_util.hpp"
#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_events.hpp"
#include "tools/herald-bench/paced_publisher.hpp"

namespace herald::bench {

namespace {

/// The integer after `key` in `frame` (first occurrence), or -1. The
/// readers take "t" this way rather than parsing the frame: with ten
/// subscribers the client reads ten frames per event on two shared cores.
int64_t field_after(const std::string& frame, std::string_view key) {
  auto pos = frame.find(key);
  if (pos == std::string::npos)
    return -1;
  return std::strtoll(frame.c_str() + pos + key.size(), nullptr, 10);
}

/// One stream and the thread that reads it. The counters are the reader's
/// until it has been joined, except `received` and `ended` (atomics, read
/// by the drain loop).
struct subscriber {
  ws_conn ws;
  std::thread reader;
  std::atomic<uint64_t> received{0};
  std::atomic<bool> ended{false}; ///< read() returned false
  uint64_t measured = 0;          ///< scheduled in the window
  uint64_t in_window = 0;         ///< arrived in the window
  std::vector<int64_t> latencies;

  void read_all(int64_t measure_from, int64_t end_ns) {
    std::string frame;
    while (ws.read(frame)) {
      auto now = mono_ns();
      auto t = field_after(frame, "\"t\":");
      if (t <= 0)
        continue; // not a benchmark event (e.g. server.ready)
      received.fetch_add(1, std::memory_order_relaxed);
      if (now >= measure_from && now < end_ns)
        ++in_window;
      if (t >= measure_from && t < end_ns) {
        latencies.push_back(now - t);
        ++measured;
      }
    }
    ended = true;
  }
};

} // namespace

bool live_step_result::passes(double max_p99_ms, std::string* why) const {
  std::vector<std::string> reasons;
  if (!error.empty())
    reasons.push_back(error);
  if (publish_failures > 0)
    reasons.push_back(std::to_string(publish_failures) + " publishes failed");
  if (publisher_bound)
    reasons.push_back("publisher-bound (" + fixed(published_per_s, 0) +
                      "/s published)");
  if (missing > 0)
    reasons.push_back(std::to_string(missing) + " missing");
  if (cut > 0)
    reasons.push_back(std::to_string(cut) + " streams cut (" + ended + ")");
  auto want =
      static_cast<double>(offered_measured) * static_cast<double>(subscribers);
  if (static_cast<double>(received_in_window) < 0.95 * want)
    reasons.push_back("fell behind (" + fixed(received_in_window_per_s, 0) +
                      "/s arrived in the window of " +
                      fixed(want / std::max(seconds, 1e-9), 0) + "/s)");
  if (latency.count == 0)
    reasons.push_back("nothing measured");
  else if (latency.p99_ms >= max_p99_ms)
    reasons.push_back("p99 " + fixed(latency.p99_ms, 1) + " ms ≥ " +
                      fixed(max_p99_ms, 0) + " ms");
  if (why) {
    why->clear();
    for (const auto& r : reasons)
      *why += (why->empty() ? "" : "; ") + r;
  }
  return reasons.empty();
}

nlohmann::json live_step_result::to_json() const {
  uint64_t total = 0;
  for (auto r : received)
    total += r;
  nlohmann::json out{
      {"offered_per_s", offered_per_s},
      {"published_per_s", published_per_s},
      {"publisher_bound", publisher_bound},
      {"published", published},
      {"publish_failures", publish_failures},
      {"max_send_lag_ms", max_send_lag_ms},
      {"subscribers", subscribers},
      {"expected", expected},
      {"offered_measured", offered_measured},
      {"received", total},
      {"received_min",
       received.empty() ? 0
                        : *std::min_element(received.begin(), received.end())},
      {"received_max",
       received.empty() ? 0
                        : *std::max_element(received.begin(), received.end())},
      {"missing", missing},
      {"measured_events", measured_events},
      {"delivered_per_s", delivered_per_s},
      {"received_in_window_per_s", received_in_window_per_s},
      {"latency", latency.to_json()},
      {"cut", cut},
      {"ended", ended}};
  if (!first_failure.empty())
    out["first_failure"] = first_failure;
  if (!error.empty())
    out["error"] = error;
  return out;
}

live_step_result measure_live(const live_endpoint& publish,
                              const live_endpoint& subscribe,
                              const live_step_options& opts) {
  live_step_result res;
  res.offered_per_s = opts.rate;
  res.subscribers = opts.subscribers;
  res.seconds = opts.seconds;
  std::string target = "/api/v1/events/stream";
  if (!opts.name.empty())
    target += "?name=" + runtime::percent_encode(opts.name);

  std::vector<std::unique_ptr<subscriber>> subs;
  for (size_t i = 0; i < opts.subscribers; ++i) {
    auto sub = std::make_unique<subscriber>();
    if (auto err = sub->ws.connect(subscribe.host, subscribe.port, target, 0,
                                   subscribe.token);
        !err.empty()) {
      res.error = "subscribe: " + err;
      return res; // the connected ones close in their destructors
    }
    subs.push_back(std::move(sub));
  }

  auto start_ns = mono_ns() + 200'000'000; // let the subscriptions settle
  auto measure_from = start_ns + static_cast<int64_t>(opts.warmup * 1e9);
  auto end_ns = measure_from + static_cast<int64_t>(opts.seconds * 1e9);
  auto per_sub_samples =
      static_cast<size_t>(opts.rate * opts.seconds * 1.1) + 16;
  for (auto& sub : subs) {
    if (opts.name.empty())
      sub->latencies.reserve(per_sub_samples);
    auto* s = sub.get();
    sub->reader = std::thread{
        [s, measure_from, end_ns] { s->read_all(measure_from, end_ns); }};
  }

  paced_publisher_options popts;
  popts.host = publish.host;
  popts.port = publish.port;
  popts.token = publish.token;
  popts.rate = opts.rate;
  popts.tick_ms = opts.tick_ms;
  popts.connections = opts.connections;
  popts.data_bytes = opts.data_bytes;
  paced_publisher pub{popts};
  pub.start(start_ns, end_ns);
  pub.join();
  auto publish_end = mono_ns();
  res.published = pub.sent();
  res.publish_failures = pub.failures();
  res.first_failure = pub.first_failure();
  res.max_send_lag_ms = static_cast<double>(pub.max_lag_ns()) / 1e6;
  res.published_per_s = static_cast<double>(res.published) /
                        (static_cast<double>(publish_end - start_ns) / 1e9);
  res.publisher_bound = res.published_per_s < 0.95 * opts.rate;

  // What each subscriber should get: every published event, or those whose
  // name matches (the names are a function of the ordinal).
  auto [all_first, all_last] = pub.ordinals_between(start_ns, start_ns, end_ns);
  auto [win_first, win_last] =
      pub.ordinals_between(start_ns, measure_from, end_ns);
  if (opts.name.empty()) {
    res.expected = res.published;
    res.offered_measured = win_last - win_first;
  } else {
    for (auto n = all_first; n < all_last; ++n)
      if (runtime::pattern_matches(opts.name, shape_of(n).name)) {
        ++res.expected;
        if (n >= win_first && n < win_last)
          ++res.offered_measured;
      }
  }

  // Drain: poll (bounded) until every subscriber has every expected event
  // or its stream ended.
  auto drained = [&] {
    for (auto& sub : subs)
      if (!sub->ended && sub->received < res.expected)
        return false;
    return true;
  };
  auto drain_until = mono_ns() + static_cast<int64_t>(opts.drain_s * 1e9);
  while (!drained() && mono_ns() < drain_until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (auto& sub : subs)
    if (sub->ended) {
      if (res.cut++ == 0)
        res.ended = sub->ws.ended_because();
    }
  for (auto& sub : subs)
    sub->ws.abort();
  std::vector<int64_t> all;
  for (auto& sub : subs) {
    sub->reader.join();
    auto got = sub->received.load();
    res.received.push_back(got);
    res.missing += res.expected > got ? res.expected - got : 0;
    res.measured_events += sub->measured;
    res.received_in_window += sub->in_window;
    all.insert(all.end(), sub->latencies.begin(), sub->latencies.end());
    std::vector<int64_t>{}.swap(sub->latencies);
  }
  res.latency = summarize(all);
  res.delivered_per_s = static_cast<double>(res.measured_events) / opts.seconds;
  res.received_in_window_per_s =
      static_cast<double>(res.received_in_window) / opts.seconds;
  return res;
}

double search_max_rate(const rate_search_options& opts,
                       const std::function<bool(double)>& step) {
  auto whole = [](double r) { return std::max(1.0, std::round(r)); };
  double pass = 0;
  double fail = 0; // 0: none yet
  for (double r = opts.start; r <= opts.max_rate; r *= 2) {
    if (!step(whole(r))) {
      fail = whole(r);
      break;
    }
    pass = whole(r);
  }
  if (fail == 0)
    return pass; // every rate up to max_rate passed
  if (pass == 0) {
    // The start failed: halve until a rate passes.
    for (double r = fail / 2; r >= opts.min_rate; r /= 2) {
      if (step(whole(r))) {
        pass = whole(r);
        break;
      }
      fail = whole(r);
    }
    if (pass == 0)
      return 0;
  }
  while (fail - pass > opts.precision * pass) {
    auto mid = whole((pass + fail) / 2);
    if (mid <= pass || mid >= fail)
      break;
    if (step(mid))
      pass = mid;
    else
      fail = mid;
  }
  return pass;
}

live_step_result measure_live_on(const node_target& target,
                                 const std::string& tag,
                                 const live_step_options& opts) {
  bench_node node;
  if (auto err = node.open(target, tag); !err.empty()) {
    live_step_result res;
    res.error = err;
    return res;
  }
  live_endpoint at{node.host(), node.port(), node.token()};
  return measure_live(at, at, opts);
}

std::string step_latency(const nlohmann::json& step) {
  return "p50 " + fixed(step["latency"]["p50_ms"].get<double>(), 2) +
         " ms p99 " + fixed(step["latency"]["p99_ms"].get<double>(), 2) + " ms";
}

std::string at_half_summary(const nlohmann::json& run) {
  if (!run.contains("at_half"))
    return {};
  const auto& half = run["at_half"];
  return "; at half (" + fixed(half["offered_per_s"].get<double>(), 0) +
         "/s) " + step_latency(half) +
         (half["pass"].get<bool>() ? "" : " (that step failed)");
}

std::string step_line(const live_step_result& res, double max_p99_ms) {
  std::string why;
  bool ok = res.passes(max_p99_ms, &why);
  return fixed(res.offered_per_s, 0) + "/s offered, " +
         fixed(res.published_per_s, 0) + "/s published, " +
         fixed(res.received_in_window_per_s, 0) +
         "/s arrived in the window, p50 " + fixed(res.latency.p50_ms, 2) +
         " ms p99 " + fixed(res.latency.p99_ms, 2) + " ms, " +
         std::to_string(res.missing) +
         " missing: " + (ok ? std::string{"pass"} : "FAIL (" + why + ")");
}

nlohmann::json live_search(const node_target& target, const std::string& tag,
                           const live_step_options& base,
                           const rate_search_options& search,
                           double max_p99_ms) {
  nlohmann::json steps = nlohmann::json::array();
  std::string error;
  double lowest_fail = 0;
  std::string limit;
  auto run_step = [&](double rate) -> live_step_result {
    auto opts = base;
    opts.rate = rate;
    auto res = measure_live_on(target, tag, opts);
    std::string why;
    bool ok = res.passes(max_p99_ms, &why);
    auto j = res.to_json();
    j["pass"] = ok;
    if (!ok)
      j["why"] = why;
    steps.push_back(std::move(j));
    std::cout << tag << " step " << steps.size() << ": "
              << step_line(res, max_p99_ms) << "\n"
              << std::flush;
    if (!ok && (lowest_fail == 0 || rate < lowest_fail)) {
      lowest_fail = rate;
      limit = why;
    }
    return res;
  };
  auto max_rate = search_max_rate(search, [&](double rate) {
    if (!error.empty())
      return false;
    auto res = run_step(rate);
    if (!res.error.empty())
      error = res.error; // the node did not start: stop searching
    return res.passes(max_p99_ms);
  });
  if (!error.empty())
    return {{"error", error}, {"steps", steps}};
  nlohmann::json run{{"max_rate", max_rate}};
  for (const auto& s : steps)
    if (s["offered_per_s"].get<double>() == max_rate)
      run["at_max"] = s;
  run["limit"] =
      lowest_fail > 0
          ? "first failure at " + fixed(lowest_fail, 0) + "/s: " + limit
          : std::string{"no rate up to --max-rate failed"};
  if (max_rate > 0) {
    run_step(std::max(1.0, std::round(max_rate / 2)));
    run["at_half"] = steps.back();
  }
  run["steps"] = std::move(steps);
  return run;
}

} // namespace herald::bench
