#include "runtime/query_cursor.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::runtime {
namespace {

void expect_invalid(std::string_view text, bool desc) {
  auto c = decode_cursor(text, desc);
  ASSERT_FALSE(c) << text;
  auto e = runtime::describe(c.error());
  EXPECT_EQ(e.code, runtime::errc::invalid_cursor) << text;
  EXPECT_EQ(e.field, "after");
}

TEST(query_cursor, round_trips_both_directions) {
  for (bool desc : {false, true})
    for (uint64_t s : {uint64_t{0}, uint64_t{1}, uint64_t{4096},
                       uint64_t{123456789012}, ~uint64_t{0}}) {
      auto text = encode_cursor({desc, s});
      auto back = decode_cursor(text, desc);
      ASSERT_TRUE(back) << text;
      EXPECT_EQ(back->last_seq, s);
      EXPECT_EQ(back->descending, desc);
    }
}

TEST(query_cursor, is_url_safe) {
  auto text = encode_cursor({true, ~uint64_t{0} - 12345});
  EXPECT_EQ(text.size(), 16u);
  for (char c : text)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                c == '_')
        << text;
}

TEST(query_cursor, rejects_the_other_direction) {
  expect_invalid(encode_cursor({false, 10}), true);
  expect_invalid(encode_cursor({true, 10}), false);
}

TEST(query_cursor, rejects_garbage) {
  expect_invalid("", false);
  expect_invalid("abc", false);
  expect_invalid("not a cursor at all", false);
  expect_invalid("AAAAAAAAAAAAAAA=", false); // '=' is not base64url
  expect_invalid("AAAAAAAAAAAAAAAA", false); // version 0
  auto good = encode_cursor({false, 77});
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    expect_invalid(bad, false);
  }
  expect_invalid(good + "A", false);
}

/// Encodes the documented 12-byte layout with any version/direction byte.
std::string raw_cursor(uint8_t version, char dir, uint64_t seq) {
  unsigned char raw[12];
  raw[0] = version;
  raw[1] = static_cast<unsigned char>(dir);
  for (int i = 0; i < 8; ++i)
    raw[2 + i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  uint32_t h = 2166136261u;
  for (int i = 0; i < 10; ++i) {
    h ^= raw[i];
    h *= 16777619u;
  }
  auto check = static_cast<uint16_t>((h >> 16) ^ (h & 0xffff));
  raw[10] = static_cast<unsigned char>(check >> 8);
  raw[11] = static_cast<unsigned char>(check & 0xff);
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (int i = 0; i < 12; i += 3) {
    uint32_t v =
        (uint32_t{raw[i]} << 16) | (uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    for (int sh = 18; sh >= 0; sh -= 6)
      out.push_back(alphabet[(v >> sh) & 63]);
  }
  return out;
}

TEST(query_cursor, layout_is_the_documented_one) {
  EXPECT_EQ(raw_cursor(1, 'a', 99), encode_cursor({false, 99}));
  EXPECT_EQ(raw_cursor(1, 'd', 99), encode_cursor({true, 99}));
}

TEST(query_cursor, rejects_another_version_or_direction_byte) {
  expect_invalid(raw_cursor(2, 'a', 99), false);
  expect_invalid(raw_cursor(0, 'a', 99), false);
  expect_invalid(raw_cursor(1, 'x', 99), false);
}

} // namespace
} // namespace herald::runtime
