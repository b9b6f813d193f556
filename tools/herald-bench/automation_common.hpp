#pragma once

// What the automation scenarios (triggers-publish, schedule-lateness,
// workflow-runs) share: the one-emit workflow they run, defining many
// triggers over several connections, reading /metrics (counters and
// histograms), reading stored events by name, and a node RSS sampler.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_common.hpp"

namespace herald::bench {

/// The workflow every automation scenario runs: one `emit` step
/// ("bench.done"), overlap "parallel" (so simultaneous runs all start).
inline constexpr const char* bench_workflow_id = "bench-wf";

/// PUTs the bench workflow; "" on success, else why not.
std::string put_bench_workflow(http_conn& conn);

/// One definition to PUT: the target path and the JSON body.
struct definition_put {
  std::string target;
  std::string body;
};

/// Outcome of define_all.
struct define_result {
  size_t done = 0;    ///< PUTs answered 2xx
  double seconds = 0; ///< wall time of all of them
  latency_stats latency;
  std::string error; ///< the first failure ("" when all succeeded)

  double per_s() const noexcept {
    return seconds > 0 ? static_cast<double>(done) / seconds : 0;
  }
  nlohmann::json to_json() const;
};

/// PUTs `defs` over `connections` keep-alive connections (closed loop,
/// one request in flight per connection), stopping at the first failure
/// or once `deadline_s` has passed (then `error` says so).
define_result define_all(const std::string& host, uint16_t port,
                         const std::string& token,
                         const std::vector<definition_put>& defs,
                         size_t connections, double deadline_s);

/// A /metrics scrape: every sample line as "name{labels}" → value.
using metric_samples = std::map<std::string, double>;

/// GETs /metrics; nullopt when the node did not answer 200.
std::optional<metric_samples> scrape_metrics(http_conn& conn);

/// The sample `series` ("name" or "name{label=\"v\"}"), 0 when absent.
double sample(const metric_samples& m, const std::string& series);

/// A histogram's cumulative buckets (upper bound → count, +Inf as
/// infinity) from a scrape.
std::vector<std::pair<double, double>>
histogram_buckets(const metric_samples& m, const std::string& name);

/// `after` − `before`, bucket by bucket (the observations in between).
std::vector<std::pair<double, double>>
bucket_delta(const std::vector<std::pair<double, double>>& before,
             const std::vector<std::pair<double, double>>& after);

/// The q-quantile of cumulative `buckets` by linear interpolation inside
/// the bucket that holds it (Prometheus' histogram_quantile); in the +Inf
/// bucket, the largest finite bound. Nullopt without observations.
std::optional<double>
bucket_quantile(const std::vector<std::pair<double, double>>& buckets,
                double q);

/// The node's writer between two scrapes: appends (each one fsync'd
/// WriteBatch), events per append, mean and p99 (bucket-interpolated)
/// append time, from herald_write_batch_events and herald_write_seconds.
nlohmann::json write_stats(const metric_samples& before,
                           const metric_samples& after);

/// The bucket (lower, upper] that holds the q-quantile of cumulative
/// `buckets` (upper is infinity for the +Inf bucket); nullopt without
/// observations.
std::optional<std::pair<double, double>>
bucket_holding(const std::vector<std::pair<double, double>>& buckets, double q);

/// Reads every stored event named `name` with time ≥ `since_ns` (pages of
/// 1000, ascending), calling `each` with each event (native JSON).
/// "" on success, else why not.
std::string
for_each_event(http_conn& conn, const std::string& name, int64_t since_ns,
               const std::function<void(const nlohmann::json&)>& each);

/// Unix nanoseconds now (the node's clock: same machine).
int64_t unix_ns() noexcept;

/// Samples a process's VmRSS every `period_ms` on its own thread until
/// stopped; keeps the peak and the latest sample.
class rss_sampler {
public:
  rss_sampler(pid_t pid, int period_ms);
  ~rss_sampler();
  rss_sampler(const rss_sampler&) = delete;
  rss_sampler& operator=(const rss_sampler&) = delete;

  /// Starts a new peak from the current RSS.
  void reset_peak();
  long peak_kib() const noexcept { return peak_.load(); }
  long last_kib() const noexcept { return last_.load(); }

private:
  pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::atomic<long> last_{0};
  std::thread thread_;
};

/// CPU time (user + system, all threads) `pid` has used, in seconds;
/// nullopt when the process is gone.
std::optional<double> cpu_seconds(pid_t pid);

/// KiB as MiB.
inline double mib(long kib) {
  return static_cast<double>(kib) / 1024;
}

} // namespace herald::bench
