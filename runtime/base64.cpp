#include "runtime/base64.hpp"

#include <array>
#include <cstdint>

namespace herald::runtime {

namespace {

constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_reverse() {
  std::array<int8_t, 256> rev{};
  for (auto& v : rev)
    v = -1;
  for (int i = 0; i < 64; ++i)
    rev[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return rev;
}

constexpr auto reverse = make_reverse();

} // namespace

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v =
        static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16 |
        static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8 |
        static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  size_t len = text.size();
  if (len % 4 == 0 && len > 0) {
    // Strip up to two pad characters of a complete last quantum.
    if (text[len - 1] == '=')
      --len;
    if (text[len - 1] == '=')
      --len;
  }
  if (len % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(len / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    const int8_t v = reverse[static_cast<uint8_t>(text[i])];
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

} // namespace herald::runtime
