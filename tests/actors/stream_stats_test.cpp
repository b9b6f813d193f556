// actors::stream_stats: the node-wide stream figures behind /metrics.

#include "actors/stream_actor.hpp"

#include <memory>

#include <gtest/gtest.h>

namespace herald::actors {
namespace {

TEST(stream_stats, sums_and_maxes_the_open_sinks) {
  stream_stats stats;
  EXPECT_EQ(stats.snapshot().open, 0u);
  auto a = std::make_shared<stream_sink>(16, 4096);
  auto b = std::make_shared<stream_sink>(16, 4096);
  auto key_a = stats.opened(a);
  auto key_b = stats.opened(b);
  ASSERT_TRUE(a->push("1", 1));
  ASSERT_TRUE(b->push("1", 1));
  ASSERT_TRUE(b->push("2", 2));
  ASSERT_TRUE(b->push("3", 3));
  auto t = stats.snapshot();
  EXPECT_EQ(t.open, 2u);
  EXPECT_EQ(t.buffered, 4u);
  EXPECT_EQ(t.max_buffered, 3u);

  stats.closed(key_b);
  stats.count_slow_consumer_cut();
  t = stats.snapshot();
  EXPECT_EQ(t.open, 1u);
  EXPECT_EQ(t.buffered, 1u);
  EXPECT_EQ(t.max_buffered, 1u);
  EXPECT_EQ(t.slow_consumer_cuts, 1u);

  stats.closed(key_a);
  stats.closed(key_a); // twice is harmless
  t = stats.snapshot();
  EXPECT_EQ(t.open, 0u);
  EXPECT_EQ(t.buffered, 0u);
  EXPECT_EQ(t.max_buffered, 0u);
}

} // namespace
} // namespace herald::actors
