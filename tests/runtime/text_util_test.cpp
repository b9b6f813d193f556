// Percent-encoding (runtime/text_util.hpp): what the fan-out, heraldctl and
// herald-bench put in URLs, and that the HTTP layer's decoder reads it back.

#include "runtime/text_util.hpp"

#include <gtest/gtest.h>

namespace herald::runtime {
namespace {

TEST(percent_encode, keeps_unreserved_and_escapes_the_rest) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("order.>"), "order.%3E");
  EXPECT_EQ(percent_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(percent_encode(std::string_view{"\x00\xff", 2}), "%00%FF");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(percent_encode, round_trips_through_percent_decode) {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  EXPECT_EQ(percent_decode(percent_encode(all), true), all);
  EXPECT_EQ(percent_decode(percent_encode("a+b"), true), "a+b");
}

} // namespace
} // namespace herald::runtime
