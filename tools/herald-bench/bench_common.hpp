#pragma once

// Shared pieces of herald-bench's scenarios: latency statistics, the
// machine's load, process RSS, and the report every scenario prints (one
// summary line per run, the median over runs, JSON with --json).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace herald::bench {

using clock_type = std::chrono::steady_clock;

/// Nanoseconds on the monotonic clock (the timestamps latency is measured
/// with; meaningful only inside this process).
int64_t mono_ns() noexcept;

/// Seconds since `start`, as a double.
double seconds_since(clock_type::time_point start) noexcept;

/// Latency summary of a set of samples (nanoseconds in, milliseconds out).
struct latency_stats {
  size_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;

  nlohmann::json to_json() const;
};

/// Sorts `samples_ns` in place and summarises it (nearest-rank percentiles).
latency_stats summarize(std::vector<int64_t>& samples_ns);

/// The median of `values` (the mean of the middle two for an even count);
/// 0 for none.
double median(std::vector<double> values);

/// /proc/loadavg's three averages, e.g. "1.20 0.85 0.60".
std::string load_average();

/// VmRSS of `pid` in KiB (nullopt when the process is gone).
std::optional<long> rss_kib(pid_t pid);

/// Bytes of every regular file under `dir` (what `du` would count, roughly).
uint64_t dir_bytes(const std::string& dir);

/// Common output options of every subcommand.
struct report_options {
  bool json = false; ///< print the JSON document after the summary lines
};

/// What a scenario hands back: its runs (each a JSON object with at least
/// the fields the summary names), the median of the headline figures over
/// the runs, and the environment (load before and after).
struct report {
  std::string scenario;
  nlohmann::json params = nlohmann::json::object();
  std::vector<nlohmann::json> runs;
  nlohmann::json median = nlohmann::json::object();
  nlohmann::json max = nlohmann::json::object(); ///< empty unless computed
  std::string load_before;
  std::string load_after;

  /// Fills `median` with the median of each of `keys` over `runs` (keys are
  /// JSON pointers, e.g. "/events_per_s" or "/latency/p99_ms").
  void compute_median(const std::vector<std::string>& keys);

  /// Fills `max` likewise (printed after the median when not empty).
  void compute_max(const std::vector<std::string>& keys);

  /// Prints "scenario: median …" and, with opts.json, the whole report.
  void print(const report_options& opts) const;
};

/// Formats a double with `digits` decimals.
std::string fixed(double v, int digits = 1);

/// Temp directory `<base>/herald-bench-<tag>-XXXXXX`, created.
std::string make_temp_dir(const std::string& base, const std::string& tag);

} // namespace herald::bench
