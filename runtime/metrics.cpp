#include "runtime/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace herald::runtime {

metric_histogram::metric_histogram(std::vector<double> upper_bounds) {
  bounds_.reserve(upper_bounds.size());
  for (double b : upper_bounds)
    if (std::isfinite(b) && (bounds_.empty() || b > bounds_.back()))
      bounds_.push_back(b);
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

void metric_histogram::observe(double v) noexcept {
  if (std::isnan(v))
    return;
  // First bound >= v: `le` is inclusive. Past the end is the +Inf bucket.
  auto i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram_snapshot metric_histogram::snapshot() const {
  histogram_snapshot out;
  out.upper_bounds = bounds_;
  out.cumulative.reserve(bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  running += buckets_[bounds_.size()].load(std::memory_order_relaxed);
  out.count = running;
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

std::vector<double> exponential_buckets(double start, double factor,
                                        size_t count) {
  std::vector<double> out;
  if (!(start > 0) || !(factor > 1) || !std::isfinite(start))
    return out;
  out.reserve(count);
  double b = start;
  for (size_t i = 0; i < count && std::isfinite(b); ++i, b *= factor)
    out.push_back(b);
  return out;
}

std::vector<double> latency_buckets_seconds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

namespace {

bool is_word_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

std::string_view type_name(metric_type t) noexcept {
  switch (t) {
  case metric_type::counter:
    return "counter";
  case metric_type::gauge:
    return "gauge";
  case metric_type::histogram:
    return "histogram";
  case metric_type::untyped:
    break;
  }
  return "untyped";
}

} // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(is_word_start(name[0]) || name[0] == ':'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_word_start(c) || is_digit(c) || c == ':';
  });
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !is_word_start(name[0]) || name.starts_with("__"))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_word_start(c) || is_digit(c); });
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\n':
      out += "\\n";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  // Integers up to 2^53 are exact: print them as integers, not 1e+06.
  if (std::abs(v) < 9007199254740992.0 && v == std::trunc(v)) {
    auto i = static_cast<int64_t>(v);
    return std::to_string(i);
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void metrics_text_writer::family(std::string_view name, metric_type type,
                                 std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void metrics_text_writer::sample_line(std::string_view name,
                                      const metric_labels& labels,
                                      std::string_view extra_label,
                                      std::string_view extra_value,
                                      std::string_view value) {
  out_ += name;
  if (!labels.empty() || !extra_label.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!first)
        out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    };
    for (const auto& [k, v] : labels)
      add(k, v);
    if (!extra_label.empty())
      add(extra_label, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void metrics_text_writer::sample(std::string_view name, double value,
                                 const metric_labels& labels) {
  sample_line(name, labels, {}, {}, format_metric_value(value));
}

void metrics_text_writer::sample(std::string_view name, uint64_t value,
                                 const metric_labels& labels) {
  sample_line(name, labels, {}, {}, std::to_string(value));
}

void metrics_text_writer::sample(std::string_view name, int64_t value,
                                 const metric_labels& labels) {
  sample_line(name, labels, {}, {}, std::to_string(value));
}

void metrics_text_writer::histogram_samples(std::string_view name,
                                            const histogram_snapshot& h,
                                            const metric_labels& labels) {
  std::string bucket{name};
  bucket += "_bucket";
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    auto n = i < h.cumulative.size() ? h.cumulative[i] : h.count;
    sample_line(bucket, labels, "le", format_metric_value(h.upper_bounds[i]),
                std::to_string(n));
  }
  sample_line(bucket, labels, "le", "+Inf", std::to_string(h.count));
  sample_line(std::string{name} + "_sum", labels, {}, {},
              format_metric_value(h.sum));
  sample_line(std::string{name} + "_count", labels, {}, {},
              std::to_string(h.count));
}

void metrics_text_writer::counter(std::string_view name, std::string_view help,
                                  uint64_t value) {
  family(name, metric_type::counter, help);
  sample(name, value);
}

void metrics_text_writer::gauge(std::string_view name, std::string_view help,
                                double value) {
  family(name, metric_type::gauge, help);
  sample(name, value);
}

void metrics_text_writer::gauge(std::string_view name, std::string_view help,
                                int64_t value) {
  family(name, metric_type::gauge, help);
  sample(name, value);
}

void metrics_text_writer::histogram(std::string_view name,
                                    std::string_view help,
                                    const histogram_snapshot& h) {
  family(name, metric_type::histogram, help);
  histogram_samples(name, h);
}

} // namespace herald::runtime
