#include "runtime/query_cursor.hpp"

#include <array>

#include "runtime/errc.hpp"

namespace herald::runtime {

namespace {

constexpr size_t raw_size = 12;
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

uint16_t check_of(const unsigned char* p, size_t n) noexcept {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return static_cast<uint16_t>((h >> 16) ^ (h & 0xffff));
}

int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

uint64_t get_be64(const unsigned char* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

caf::error bad_cursor(std::string why) {
  return make_api_error(errc::invalid_cursor, "invalid cursor: " + why,
                        "after");
}

} // namespace

std::string encode_cursor(const query_cursor& c) {
  std::array<unsigned char, raw_size> raw{};
  raw[0] = cursor_version;
  raw[1] = c.descending ? 'd' : 'a';
  for (int i = 0; i < 8; ++i)
    raw[2 + i] = static_cast<unsigned char>(c.last_seq >> (56 - 8 * i));
  auto check = check_of(raw.data(), 10);
  raw[10] = static_cast<unsigned char>(check >> 8);
  raw[11] = static_cast<unsigned char>(check & 0xff);
  std::string out;
  out.reserve(16);
  for (size_t i = 0; i < raw_size; i += 3) {
    uint32_t v =
        (uint32_t{raw[i]} << 16) | (uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  return out;
}

caf::expected<query_cursor> decode_cursor(std::string_view text,
                                          bool descending) {
  if (text.size() != raw_size / 3 * 4)
    return bad_cursor("wrong length");
  std::array<unsigned char, raw_size> raw{};
  for (size_t i = 0, o = 0; i < text.size(); i += 4, o += 3) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int s = sextet(text[i + j]);
      if (s < 0)
        return bad_cursor("not base64url");
      v = (v << 6) | static_cast<uint32_t>(s);
    }
    raw[o] = static_cast<unsigned char>(v >> 16);
    raw[o + 1] = static_cast<unsigned char>(v >> 8);
    raw[o + 2] = static_cast<unsigned char>(v);
  }
  if (raw[0] != cursor_version)
    return bad_cursor("unsupported version");
  auto check = static_cast<uint16_t>((raw[10] << 8) | raw[11]);
  if (check != check_of(raw.data(), 10))
    return bad_cursor("checksum mismatch");
  if (raw[1] != 'a' && raw[1] != 'd')
    return bad_cursor("unknown direction");
  query_cursor c;
  c.descending = raw[1] == 'd';
  if (c.descending != descending)
    return bad_cursor(descending ? "cursor of an ascending query"
                                 : "cursor of a descending query");
  c.last_seq = get_be64(raw.data() + 2);
  return c;
}

} // namespace herald::runtime
