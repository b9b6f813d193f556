#include "runtime/uuid.hpp"

#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/time_format.hpp"

namespace herald::runtime {
namespace {

const std::regex canonical_v7{
    "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"};

// The 48-bit Unix ms timestamp at the front of a UUIDv7.
int64_t timestamp_ms(const std::string& id) {
  return std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

TEST(Uuid, IsCanonicalVersion7WithVariantBits) {
  uuid_v7_generator gen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = gen.next(now_unix_ns());
    ASSERT_TRUE(std::regex_match(id, canonical_v7)) << id;
  }
  EXPECT_TRUE(std::regex_match(new_uuid_v7(now_unix_ns()), canonical_v7));
}

TEST(Uuid, CarriesTheUnixMillisecondTimestamp) {
  uuid_v7_generator gen;
  const int64_t ns = parse_rfc3339("2026-11-22T10:00:00.123456Z").value();
  const auto id = gen.next(ns);
  EXPECT_EQ(timestamp_ms(id), ns / 1'000'000);
  EXPECT_EQ(id.substr(0, 13), "01a202b2-c57b");
  uuid_v7_generator gen2;
  EXPECT_EQ(timestamp_ms(gen2.next(-5)), 0);
}

TEST(Uuid, IsStrictlyIncreasingWithinOneMillisecond) {
  uuid_v7_generator gen;
  const int64_t ns = parse_rfc3339("2026-01-01T00:00:00Z").value();
  std::string prev = gen.next(ns);
  // More than the 4096 values of the 12-bit counter: the generator must
  // borrow the following milliseconds rather than wrap.
  for (int i = 0; i < 20000; ++i) {
    auto id = gen.next(ns);
    ASSERT_LT(prev, id);
    ASSERT_TRUE(std::regex_match(id, canonical_v7)) << id;
    prev = std::move(id);
  }
  EXPECT_GT(timestamp_ms(prev), ns / 1'000'000);
  EXPECT_LE(timestamp_ms(prev), ns / 1'000'000 + 20);
}

TEST(Uuid, StaysIncreasingWhenTheClockStepsBack) {
  uuid_v7_generator gen;
  const int64_t ns = parse_rfc3339("2026-01-01T00:00:00Z").value();
  const auto later = gen.next(ns);
  const auto earlier_clock = gen.next(ns - 3600 * 1'000'000'000LL);
  EXPECT_LT(later, earlier_clock);
  EXPECT_LT(earlier_clock, gen.next(ns + 1'000'000));
}

TEST(Uuid, RandomBitsDifferBetweenGenerators) {
  uuid_v7_generator a;
  uuid_v7_generator b;
  const int64_t ns = now_unix_ns();
  EXPECT_NE(a.next(ns), b.next(ns));
}

TEST(Uuid, IsUniqueAndOrderedPerThreadAcrossThreads) {
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::vector<std::string>> ids(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&ids, t] {
      for (int i = 0; i < per_thread; ++i)
        ids[static_cast<size_t>(t)].push_back(new_uuid_v7(now_unix_ns()));
    });
  for (auto& w : workers)
    w.join();
  std::set<std::string> all;
  for (const auto& seq : ids) {
    for (size_t i = 1; i < seq.size(); ++i)
      ASSERT_LT(seq[i - 1], seq[i]);
    all.insert(seq.begin(), seq.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(threads * per_thread));
}

} // namespace
} // namespace herald::runtime
