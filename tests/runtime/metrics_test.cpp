// runtime/metrics: counters, gauges, fixed-bucket histograms and the
// Prometheus text-format 0.0.4 writer.

#include "runtime/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace herald::runtime {
namespace {

TEST(metrics, counter_and_gauge_count) {
  metric_counter c;
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
  metric_gauge g;
  g.set(10);
  g.add(-15);
  EXPECT_EQ(g.value(), -5);
}

TEST(metrics, histogram_buckets_are_inclusive_upper_bounds) {
  metric_histogram h{{1, 2, 5}};
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.9, 5.0, 5.1, 100.0, -3.0})
    h.observe(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{1, 2, 5}));
  // <=1: 0.5, 1, -3   <=2: +1.5, 2   <=5: +4.9, 5   +Inf: +5.1, 100
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{3, 5, 7}));
  EXPECT_EQ(s.count, 9u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1 + 1.5 + 2 + 4.9 + 5 + 5.1 + 100 - 3);
}

TEST(metrics, histogram_ignores_nan_and_drops_bad_bounds) {
  metric_histogram h{{1, std::numeric_limits<double>::quiet_NaN(), 0.5, 3,
                      std::numeric_limits<double>::infinity()}};
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1, 3}));
  h.observe(std::nan(""));
  h.observe(std::numeric_limits<double>::infinity());
  auto s = h.snapshot();
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 0}));
}

TEST(metrics, histogram_counts_concurrent_observations) {
  metric_histogram h{{10}};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i)
        h.observe(i % 2 == 0 ? 1.0 : 20.0);
    });
  for (auto& t : threads)
    t.join();
  auto s = h.snapshot();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{20000}));
  EXPECT_DOUBLE_EQ(s.sum, 20000 * 1.0 + 20000 * 20.0);
}

TEST(metrics, bucket_helpers) {
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_TRUE(exponential_buckets(0, 2, 4).empty());
  EXPECT_TRUE(exponential_buckets(1, 1, 4).empty());
  auto lat = latency_buckets_seconds();
  ASSERT_FALSE(lat.empty());
  EXPECT_TRUE(std::is_sorted(lat.begin(), lat.end()));
  EXPECT_EQ(lat.front(), 0.00005);
  EXPECT_EQ(lat.back(), 10);
}

TEST(metrics, names) {
  EXPECT_TRUE(is_valid_metric_name("herald_events_accepted_total"));
  EXPECT_TRUE(is_valid_metric_name("job:rate5m"));
  EXPECT_TRUE(is_valid_metric_name("_x"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("9lives"));
  EXPECT_FALSE(is_valid_metric_name("a-b"));
  EXPECT_FALSE(is_valid_metric_name("a.b"));
  EXPECT_TRUE(is_valid_label_name("reason"));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
  EXPECT_FALSE(is_valid_label_name("1a"));
}

TEST(metrics, escaping) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"
                               "\n"
                               "d"),
            R"(a\"b\\c\nd)");
  EXPECT_EQ(escape_label_value("plain é"), "plain é");
  // HELP keeps double quotes as they are.
  EXPECT_EQ(escape_help("say \"hi\"\\\nnow"), R"(say "hi"\\\nnow)");
}

TEST(metrics, value_formatting) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(42), "42");
  EXPECT_EQ(format_metric_value(-7), "-7");
  EXPECT_EQ(format_metric_value(1e6), "1000000");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(0.00005), "5e-05");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()),
            "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()),
            "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
  EXPECT_EQ(format_metric_value(1e300), "1e+300");
}

TEST(metrics, writer_renders_a_small_registry_exactly) {
  metric_counter accepted;
  accepted.inc(3);
  metric_histogram latency{{0.25, 1}};
  latency.observe(0.125); // exact binary fractions: the sum prints exactly
  latency.observe(0.5);
  latency.observe(2);

  metrics_text_writer w;
  w.counter("t_events_total", "Events accepted.", accepted.value());
  w.family("t_rejected_total", metric_type::counter,
           "Rejected \\ by reason,\nper code.");
  w.sample("t_rejected_total", uint64_t{2}, {{"reason", "invalid_name"}});
  w.sample("t_rejected_total", uint64_t{1}, {{"reason", "a\"b"}});
  w.gauge("t_depth", "Depth.", int64_t{-1});
  w.gauge("t_ratio", "Ratio.", 0.5);
  w.histogram("t_seconds", "Latency.", latency.snapshot());
  w.family("t_by_kind_seconds", metric_type::histogram, "Per kind.");
  w.histogram_samples("t_by_kind_seconds", metric_histogram{{}}.snapshot(),
                      {{"kind", "x"}});

  EXPECT_EQ(w.text(), R"(# HELP t_events_total Events accepted.
# TYPE t_events_total counter
t_events_total 3
# HELP t_rejected_total Rejected \\ by reason,\nper code.
# TYPE t_rejected_total counter
t_rejected_total{reason="invalid_name"} 2
t_rejected_total{reason="a\"b"} 1
# HELP t_depth Depth.
# TYPE t_depth gauge
t_depth -1
# HELP t_ratio Ratio.
# TYPE t_ratio gauge
t_ratio 0.5
# HELP t_seconds Latency.
# TYPE t_seconds histogram
t_seconds_bucket{le="0.25"} 1
t_seconds_bucket{le="1"} 2
t_seconds_bucket{le="+Inf"} 3
t_seconds_sum 2.625
t_seconds_count 3
# HELP t_by_kind_seconds Per kind.
# TYPE t_by_kind_seconds histogram
t_by_kind_seconds_bucket{kind="x",le="+Inf"} 0
t_by_kind_seconds_sum{kind="x"} 0
t_by_kind_seconds_count{kind="x"} 0
)");
  EXPECT_EQ(metrics_text_writer::content_type,
            "text/plain; version=0.0.4; charset=utf-8");
  auto page = w.take();
  EXPECT_FALSE(page.empty());
  EXPECT_TRUE(w.text().empty());
}

} // namespace
} // namespace herald::runtime
