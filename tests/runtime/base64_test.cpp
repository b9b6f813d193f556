#include "runtime/base64.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::runtime {
namespace {

TEST(CodecBase64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode_base64(plain), encoded);
    EXPECT_EQ(decode_base64(encoded), plain);
  }
}

TEST(CodecBase64, PaddingIsOptionalButMustBeWhole) {
  EXPECT_EQ(decode_base64("Zg"), "f");
  EXPECT_EQ(decode_base64("Zm8"), "fo");
  for (const char* bad : {"Z", "Zg=", "Zg===", "=Zg=", "Z===", "Zm9v Yg==",
                          "Zm9v\nYg==", "Zm-_", "Zm9v=Yg="})
    EXPECT_EQ(decode_base64(bad), std::nullopt) << bad;
}

TEST(CodecBase64, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes += static_cast<char>(i);
  for (size_t len = 0; len <= bytes.size(); len += 37)
    EXPECT_EQ(decode_base64(encode_base64(bytes.substr(0, len))),
              bytes.substr(0, len));
}

} // namespace
} // namespace herald::runtime
