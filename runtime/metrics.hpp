#pragma once

// Metrics in the Prometheus text exposition format 0.0.4: lock-free
// counters, gauges and fixed-bucket histograms that any thread may update,
// and a writer that renders them (HELP/TYPE lines, `_bucket{le=...}`,
// `_sum`, `_count`, escaped label values). Pure: no I/O, no global
// registry; whoever serves `/metrics` collects the values and writes them.
//
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::runtime {

/// A count that only goes up. Lock-free; any thread.
class metric_counter {
public:
  void inc(uint64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down. Lock-free; any thread.
class metric_gauge {
public:
  void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<int64_t> value_{0};
};

/// A histogram's values at one moment: cumulative bucket counts as
/// Prometheus exposes them (`cumulative[i]` = observations <= bounds[i]),
/// the total count (the implicit `+Inf` bucket) and the sum.
struct histogram_snapshot {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> cumulative;
  uint64_t count = 0;
  double sum = 0;
};

/// Observations counted in fixed buckets (Prometheus semantics: a value v
/// falls in every bucket whose upper bound `le` >= v; `+Inf` is implicit).
/// observe() is lock-free and may run on any thread concurrently with
/// snapshot(). A snapshot's `count` is always the sum of its buckets; its
/// `sum` may be out of step by the observations in progress.
class metric_histogram {
public:
  /// `upper_bounds`: finite, strictly increasing (others are dropped: NaN,
  /// infinities, values not above the previous bound). May be empty (only
  /// `+Inf`).
  explicit metric_histogram(std::vector<double> upper_bounds);

  metric_histogram(const metric_histogram&) = delete;
  metric_histogram& operator=(const metric_histogram&) = delete;

  /// Counts `v`. NaN is ignored.
  void observe(double v) noexcept;

  histogram_snapshot snapshot() const;

  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }

private:
  std::vector<double> bounds_;
  /// bounds_.size() + 1 non-cumulative counts; the last is `+Inf`.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

/// `count` bounds start, start*factor, start*factor^2, ... (start > 0,
/// factor > 1; empty otherwise).
std::vector<double> exponential_buckets(double start, double factor,
                                        size_t count);

/// Bounds for latencies in seconds: 50 µs to 10 s in 1-2.5-5 steps.
std::vector<double> latency_buckets_seconds();

/// The kind of a metric family, as its `# TYPE` line says.
enum class metric_type { counter, gauge, histogram, untyped };

/// Label name/value pairs of one sample, in output order. Names must match
/// `[a-zA-Z_][a-zA-Z0-9_]*` and not start with `__`; values are any UTF-8
/// (escaped on output).
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// True when `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
bool is_valid_metric_name(std::string_view name) noexcept;

/// True when `name` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not
/// starting with `__`, which Prometheus reserves).
bool is_valid_label_name(std::string_view name) noexcept;

/// A label value escaped for the text format: `\` → `\\`, `"` → `\"`,
/// newline → `\n`.
std::string escape_label_value(std::string_view value);

/// HELP text escaped for the text format: `\` → `\\`, newline → `\n`.
std::string escape_help(std::string_view help);

/// A sample value as the text format writes it: integers without a
/// fraction or exponent (`42`), others in the shortest form that reads back
/// exactly (`0.25`, `5e-05`), `+Inf`, `-Inf`, `NaN`.
std::string format_metric_value(double v);

/// Builds one text-format page. Call family() once per metric family, then
/// its samples; families must not repeat or interleave (Prometheus rejects
/// a page that does). Names and label names are not checked here (they are
/// the program's constants; see is_valid_metric_name). Not thread-safe: one
/// writer per page.
class metrics_text_writer {
public:
  /// The HTTP Content-Type of the page.
  static constexpr std::string_view content_type =
      "text/plain; version=0.0.4; charset=utf-8";

  /// Writes `# HELP name help` and `# TYPE name type`.
  void family(std::string_view name, metric_type type, std::string_view help);

  /// Writes one sample line `name{labels} value`.
  void sample(std::string_view name, double value,
              const metric_labels& labels = {});
  void sample(std::string_view name, uint64_t value,
              const metric_labels& labels = {});
  void sample(std::string_view name, int64_t value,
              const metric_labels& labels = {});

  /// Writes a histogram's samples (after family(name, histogram, ...)):
  /// `name_bucket{labels,le="..."}` per bound and `+Inf`, `name_sum`,
  /// `name_count`.
  void histogram_samples(std::string_view name, const histogram_snapshot& h,
                         const metric_labels& labels = {});

  /// A family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, int64_t value);
  /// A histogram family with one unlabelled histogram.
  void histogram(std::string_view name, std::string_view help,
                 const histogram_snapshot& h);

  /// The page so far.
  const std::string& text() const noexcept { return out_; }
  /// The page; leaves the writer empty.
  std::string take() { return std::move(out_); }

private:
  void sample_line(std::string_view name, const metric_labels& labels,
                   std::string_view extra_label, std::string_view extra_value,
                   std::string_view value);

  std::string out_;
};

} // namespace herald::runtime
