#include "runtime/uuid.hpp"

#include <array>
#include <random>

namespace herald::runtime {

namespace {

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64{seq};
  }();
  return rng;
}

constexpr uint32_t counter_max = 0xfff;       // 12 bits of rand_a
constexpr uint32_t counter_seed_mask = 0x7ff; // leave headroom to count up

} // namespace

std::string uuid_v7_generator::next(int64_t unix_ns) {
  auto& rng = thread_rng();
  const uint64_t rand_b = rng();
  const auto seed = static_cast<uint32_t>(rng() & counter_seed_mask);
  const int64_t now_ms = unix_ns > 0 ? unix_ns / 1'000'000 : 0;
  int64_t ms = 0;
  uint32_t counter = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (now_ms > last_ms_) {
      last_ms_ = now_ms;
      last_counter_ = seed;
    } else if (last_counter_ < counter_max) {
      ++last_counter_;
    } else {
      ++last_ms_; // counter exhausted: borrow the next millisecond
      last_counter_ = seed;
    }
    ms = last_ms_;
    counter = last_counter_;
  }
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < 6; ++i)
    b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | (counter >> 8));
  b[7] = static_cast<uint8_t>(counter);
  for (size_t i = 0; i < 8; ++i)
    b[8 + i] = static_cast<uint8_t>(rand_b >> (56 - 8 * i));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xf];
  }
  return out;
}

std::string new_uuid_v7(int64_t unix_ns) {
  static uuid_v7_generator process_generator;
  return process_generator.next(unix_ns);
}

} // namespace herald::runtime
