#include "actors/stream_sink.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace herald::actors {
namespace {

TEST(stream_sink, bounded_in_events) {
  stream_sink sink{3, 1000};
  EXPECT_TRUE(sink.push("a", 1));
  EXPECT_TRUE(sink.push("b", 2));
  EXPECT_TRUE(sink.push("c", 3));
  EXPECT_FALSE(sink.push("d", 4));
  EXPECT_EQ(sink.depth(), 3u);
  EXPECT_EQ(sink.bytes(), 3u);
}

TEST(stream_sink, bounded_in_bytes_but_admits_one_large_frame_when_empty) {
  stream_sink sink{100, 10};
  EXPECT_TRUE(sink.push(std::string(6, 'x'), 1));
  EXPECT_FALSE(sink.push(std::string(5, 'y'), 2)); // 11 > 10: nothing added
  EXPECT_EQ(sink.depth(), 1u);
  EXPECT_TRUE(sink.push(std::string(4, 'y'), 2));
  EXPECT_EQ(sink.bytes(), 10u);
  stream_sink big{100, 10};
  EXPECT_TRUE(big.push(std::string(50, 'z'), 1));
  EXPECT_FALSE(big.push("a", 2));
}

TEST(stream_sink, popped_frames_count_until_written) {
  stream_sink sink{2, 1000};
  ASSERT_TRUE(sink.push("a", 1));
  ASSERT_TRUE(sink.push("bb", 2));
  std::vector<stream_frame> out;
  ASSERT_TRUE(sink.pop(out, 10));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].seq, 1u);
  EXPECT_EQ(*out[1].text, "bb");
  EXPECT_EQ(sink.depth(), 2u);
  EXPECT_FALSE(sink.push("c", 3)); // still held by the consumer
  sink.mark_written();             // one frame
  EXPECT_EQ(sink.depth(), 1u);
  EXPECT_EQ(sink.bytes(), 2u);
  EXPECT_TRUE(sink.push("c", 3));
  sink.mark_written(5); // clamps to what is in flight
  EXPECT_EQ(sink.depth(), 1u);
  EXPECT_EQ(sink.bytes(), 1u);
}

TEST(stream_sink, a_shared_text_counts_in_full_in_every_sink_holding_it) {
  // One text shared by two streams: each sink's byte bound still covers
  // what that sink keeps alive, and the consumer gets the very same bytes.
  auto text = std::make_shared<const std::string>(std::string(6, 'x'));
  stream_sink a{100, 10};
  stream_sink b{100, 10};
  EXPECT_TRUE(a.push(text, 1));
  EXPECT_TRUE(b.push(text, 1));
  EXPECT_EQ(a.bytes(), 6u);
  EXPECT_EQ(b.bytes(), 6u);
  EXPECT_FALSE(a.push(text, 2)); // 12 > 10
  std::vector<stream_frame> out;
  ASSERT_TRUE(a.pop(out, 10));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text.get(), text.get());
  EXPECT_EQ(a.bytes(), 6u); // popped, not yet written: still counted
  a.mark_written();
  EXPECT_EQ(a.bytes(), 0u);
  EXPECT_EQ(b.bytes(), 6u);
}

TEST(stream_sink, notify_fires_once_per_wait) {
  stream_sink sink;
  int notified = 0;
  sink.set_notify([&] { ++notified; });
  EXPECT_EQ(notified, 0);
  sink.push("a", 1);
  sink.push("b", 2);
  EXPECT_EQ(notified, 1); // consumer not waiting after the first
  std::vector<stream_frame> out;
  EXPECT_TRUE(sink.pop(out, 10));
  EXPECT_FALSE(sink.pop(out, 10)); // re-arms
  sink.push("c", 3);
  EXPECT_EQ(notified, 2);
  EXPECT_TRUE(sink.pop(out, 10));
  EXPECT_FALSE(sink.pop(out, 10));
  sink.close(1008, "bye");
  EXPECT_EQ(notified, 3);
  ASSERT_TRUE(sink.closed());
  EXPECT_EQ(sink.closed()->first, 1008);
  EXPECT_EQ(sink.closed()->second, "bye");
  sink.close(1001, "again"); // first close wins
  EXPECT_EQ(sink.closed()->first, 1008);
  EXPECT_TRUE(sink.push("late", 4)); // dropped, nobody to overflow
  EXPECT_FALSE(sink.pop(out, 10));
}

TEST(stream_sink, notify_set_late_fires_for_pending_frames) {
  stream_sink sink;
  sink.push("a", 1);
  int notified = 0;
  sink.set_notify([&] { ++notified; });
  EXPECT_EQ(notified, 1);
}

TEST(stream_sink, drained_fires_below_half_when_armed) {
  stream_sink sink{4, 1000};
  int drained = 0;
  sink.set_drained([&] { ++drained; });
  EXPECT_FALSE(sink.arm_drained()); // empty: nothing to wait for
  for (uint64_t i = 1; i <= 4; ++i)
    ASSERT_TRUE(sink.push("x", i));
  EXPECT_TRUE(sink.arm_drained());
  std::vector<stream_frame> out;
  ASSERT_TRUE(sink.pop(out, 4));
  sink.mark_written(); // 3 held
  sink.mark_written(); // 2 held: half, not below
  EXPECT_EQ(drained, 0);
  sink.mark_written(); // 1 held
  EXPECT_EQ(drained, 1);
  sink.mark_written();
  EXPECT_EQ(drained, 1); // one-shot
  // until_empty waits for every frame.
  ASSERT_TRUE(sink.push("x", 5));
  EXPECT_TRUE(sink.arm_drained(true));
  out.clear();
  ASSERT_TRUE(sink.pop(out, 4));
  sink.mark_written();
  EXPECT_EQ(drained, 2);
}

TEST(stream_sink, consumer_gone_drops_everything) {
  stream_sink sink{2, 100};
  sink.push("a", 1);
  sink.push("b", 2);
  sink.consumer_gone();
  EXPECT_TRUE(sink.is_consumer_gone());
  EXPECT_EQ(sink.depth(), 0u);
  EXPECT_TRUE(sink.push("c", 3));
  EXPECT_EQ(sink.depth(), 0u);
}

TEST(stream_sink, producer_and_consumer_threads) {
  constexpr uint64_t total = 20000;
  stream_sink sink{64, 1 << 20};
  std::atomic<bool> wake{false};
  sink.set_notify([&] { wake = true; });
  std::thread producer([&] {
    uint64_t seq = 1;
    while (seq <= total) {
      if (sink.push(std::to_string(seq), seq))
        ++seq;
      else
        std::this_thread::yield();
    }
  });
  std::vector<uint64_t> got;
  std::vector<stream_frame> out;
  while (got.size() < total) {
    out.clear();
    if (!sink.pop(out, 16)) {
      std::this_thread::yield();
      continue;
    }
    for (auto& f : out) {
      got.push_back(f.seq);
      sink.mark_written();
    }
    EXPECT_LE(sink.depth(), 64u);
  }
  producer.join();
  for (uint64_t i = 0; i < total; ++i)
    ASSERT_EQ(got[i], i + 1);
  EXPECT_TRUE(wake.load());
}

} // namespace
} // namespace herald::actors
