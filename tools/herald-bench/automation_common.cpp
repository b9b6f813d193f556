#include "tools/herald-bench/automation_common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

#include <unistd.h>

#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"

namespace herald::bench {

std::string put_bench_workflow(http_conn& conn) {
  nlohmann::json wf{
      {"name", "herald-bench one-emit workflow"},
      {"overlap", "parallel"},
      {"steps",
       {{{"name", "emit"},
         {"emit", {{"name", "bench.done"}, {"data", {{"k", 1}}}}}}}}};
  auto res = conn.put(std::string{"/api/v1/workflows/"} + bench_workflow_id,
                      wf.dump());
  if (!res.ok())
    return "PUT workflow: HTTP " + std::to_string(res.status) + " " +
           res.error + " " + res.body.substr(0, 300);
  return {};
}

nlohmann::json define_result::to_json() const {
  return {{"done", done},
          {"seconds", seconds},
          {"per_s", per_s()},
          {"latency", latency.to_json()}};
}

define_result define_all(const std::string& host, uint16_t port,
                         const std::string& token,
                         const std::vector<definition_put>& defs,
                         size_t connections, double deadline_s) {
  define_result out;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mtx;
  std::vector<int64_t> latencies;
  latencies.reserve(defs.size());
  const auto start = clock_type::now();
  const auto deadline =
      start + std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1e3));
  std::vector<std::thread> threads;
  for (size_t c = 0; c < connections; ++c)
    threads.emplace_back([&] {
      http_conn conn{host, port, token};
      std::vector<int64_t> local;
      for (;;) {
        auto i = next.fetch_add(1);
        if (i >= defs.size() || failed)
          break;
        if (clock_type::now() > deadline) {
          std::lock_guard<std::mutex> guard{mtx};
          if (!failed)
            out.error = "defining took longer than " + fixed(deadline_s, 0) +
                        " s (" + std::to_string(done.load()) + " of " +
                        std::to_string(defs.size()) + " done)";
          failed = true;
          break;
        }
        auto t0 = mono_ns();
        auto res = conn.put(defs[i].target, defs[i].body);
        local.push_back(mono_ns() - t0);
        if (!res.ok()) {
          std::lock_guard<std::mutex> guard{mtx};
          if (!failed)
            out.error = "PUT " + defs[i].target + ": HTTP " +
                        std::to_string(res.status) + " " + res.error + " " +
                        res.body.substr(0, 300);
          failed = true;
          break;
        }
        done.fetch_add(1);
      }
      std::lock_guard<std::mutex> guard{mtx};
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  for (auto& t : threads)
    t.join();
  out.seconds = seconds_since(start);
  out.done = done.load();
  out.latency = summarize(latencies);
  return out;
}

std::optional<metric_samples> scrape_metrics(http_conn& conn) {
  auto res = conn.get("/metrics");
  if (!res.ok())
    return std::nullopt;
  metric_samples out;
  std::istringstream in{res.body};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos)
      continue;
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

double sample(const metric_samples& m, const std::string& series) {
  auto it = m.find(series);
  return it == m.end() ? 0 : it->second;
}

std::vector<std::pair<double, double>>
histogram_buckets(const metric_samples& m, const std::string& name) {
  std::vector<std::pair<double, double>> out;
  const auto prefix = name + "_bucket{le=\"";
  for (auto it = m.lower_bound(prefix);
       it != m.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    auto le = it->first.substr(prefix.size());
    le = le.substr(0, le.find('"'));
    double bound = le == "+Inf" ? std::numeric_limits<double>::infinity()
                                : std::strtod(le.c_str(), nullptr);
    out.emplace_back(bound, it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<double, double>>
bucket_delta(const std::vector<std::pair<double, double>>& before,
             const std::vector<std::pair<double, double>>& after) {
  auto out = after;
  for (auto& [le, n] : out)
    for (const auto& [le0, n0] : before)
      if (le0 == le)
        n -= n0;
  return out;
}

std::optional<double>
bucket_quantile(const std::vector<std::pair<double, double>>& buckets,
                double q) {
  if (buckets.empty() || buckets.back().second <= 0)
    return std::nullopt;
  const double total = buckets.back().second;
  const double rank = q * total;
  double lower = 0, below = 0;
  for (const auto& [le, n] : buckets) {
    if (n >= rank) {
      if (std::isinf(le))
        return lower; // the largest finite bound
      if (n == below)
        return le;
      return lower + (le - lower) * (rank - below) / (n - below);
    }
    lower = le;
    below = n;
  }
  return lower;
}

std::optional<std::pair<double, double>>
bucket_holding(const std::vector<std::pair<double, double>>& buckets,
               double q) {
  if (buckets.empty() || buckets.back().second <= 0)
    return std::nullopt;
  const double rank = q * buckets.back().second;
  double lower = 0;
  for (const auto& [le, n] : buckets) {
    if (n >= rank)
      return std::pair{lower, le};
    lower = le;
  }
  return std::pair{lower, buckets.back().first};
}

nlohmann::json write_stats(const metric_samples& before,
                           const metric_samples& after) {
  auto delta = [&](const std::string& s) {
    return sample(after, s) - sample(before, s);
  };
  const double appends = delta("herald_write_seconds_count");
  const double events = delta("herald_write_batch_events_sum");
  const double secs = delta("herald_write_seconds_sum");
  nlohmann::json out{{"appends", appends},
                     {"events", events},
                     {"events_per_append", appends > 0 ? events / appends : 0},
                     {"mean_append_ms", appends > 0 ? secs / appends * 1e3 : 0},
                     {"append_busy_s", secs}};
  auto q = bucket_quantile(
      bucket_delta(histogram_buckets(before, "herald_write_seconds"),
                   histogram_buckets(after, "herald_write_seconds")),
      0.99);
  if (q)
    out["p99_append_ms"] = *q * 1e3;
  return out;
}

std::string
for_each_event(http_conn& conn, const std::string& name, int64_t since_ns,
               const std::function<void(const nlohmann::json&)>& each) {
  const auto base = "/api/v1/events?limit=1000&order=asc&name=" +
                    runtime::percent_encode(name) + "&since=" +
                    runtime::percent_encode(runtime::format_rfc3339(since_ns));
  std::string after;
  for (;;) {
    auto target = base;
    if (!after.empty())
      target += "&after=" + runtime::percent_encode(after);
    auto res = conn.get(target);
    if (!res.ok())
      return "GET " + target + ": HTTP " + std::to_string(res.status) + " " +
             res.error + " " + res.body.substr(0, 300);
    auto doc = nlohmann::json::parse(res.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("events"))
      return "GET " + target + ": not an event page";
    for (const auto& ev : doc["events"])
      each(ev);
    if (!doc.contains("next") || doc["events"].empty())
      return {};
    after = doc["next"].get<std::string>();
  }
}

int64_t unix_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<double> cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(in, text))
    return std::nullopt;
  // Fields after the command (which may hold spaces): state is field 3,
  // utime 14 and stime 15.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14)
      ticks += std::strtod(field.c_str(), nullptr);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

rss_sampler::rss_sampler(pid_t pid, int period_ms) : pid_(pid) {
  reset_peak();
  thread_ = std::thread{[this, period_ms] {
    while (!stop_) {
      if (auto kib = rss_kib(pid_)) {
        last_ = *kib;
        long peak = peak_.load();
        while (*kib > peak && !peak_.compare_exchange_weak(peak, *kib)) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(period_ms));
    }
  }};
}

rss_sampler::~rss_sampler() {
  stop_ = true;
  thread_.join();
}

void rss_sampler::reset_peak() {
  auto kib = rss_kib(pid_).value_or(0);
  last_ = kib;
  peak_ = kib;
}

} // namespace herald::bench
