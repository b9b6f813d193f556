#include "storage/event_index.hpp"

#include <cstring>

namespace herald::storage {

void put_be64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(b, 8);
}

uint64_t get_be64(const char* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string seq_key(uint64_t seq) {
  std::string out;
  out.reserve(8);
  put_be64(out, seq);
  return out;
}

void append_index_prefix(std::string& out, index_type type,
                         std::string_view value) {
  out.push_back(static_cast<char>(type));
  // Fast path: validated text has neither 0x00 nor 0x01.
  size_t plain = 0;
  while (plain < value.size() && static_cast<unsigned char>(value[plain]) > 1)
    ++plain;
  out.append(value.data(), plain);
  for (size_t i = plain; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c == 0) {
      out.push_back('\x01');
      out.push_back('\x01');
    } else if (c == 1) {
      out.push_back('\x01');
      out.push_back('\x02');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('\0');
}

std::string index_prefix(index_type type, std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  append_index_prefix(out, type, value);
  return out;
}

uint64_t index_entry_seq(std::string_view key) noexcept {
  if (key.size() < 10)
    return 0;
  return get_be64(key.data() + key.size() - 8);
}

void append_posting_value(std::string& out, const uint64_t* seqs, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    uint64_t d = seqs[i] - seqs[i - 1];
    while (d >= 0x80) {
      out.push_back(static_cast<char>((d & 0x7f) | 0x80));
      d >>= 7;
    }
    out.push_back(static_cast<char>(d));
  }
}

bool decode_posting(uint64_t first, std::string_view value,
                    std::vector<uint64_t>& out) {
  out.clear();
  out.push_back(first);
  uint64_t cur = first;
  size_t i = 0;
  while (i < value.size()) {
    uint64_t d = 0;
    int shift = 0;
    for (;;) {
      if (i == value.size() || shift > 63)
        return false;
      auto b = static_cast<unsigned char>(value[i++]);
      const uint64_t bits = b & 0x7f;
      if (shift == 63 && bits > 1)
        return false;
      d |= bits << shift;
      if ((b & 0x80) == 0)
        break;
      shift += 7;
    }
    if (d == 0 || cur > UINT64_MAX - d)
      return false;
    cur += d;
    out.push_back(cur);
  }
  return true;
}

namespace {

void put_le64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(b, 8);
}

uint64_t get_le64(const char* p) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

} // namespace

std::string encode_zone(const zone_range& z) {
  std::string out;
  out.reserve(16);
  put_le64(out, static_cast<uint64_t>(z.min_ns));
  put_le64(out, static_cast<uint64_t>(z.max_ns));
  return out;
}

bool decode_zone(std::string_view v, zone_range& out) noexcept {
  if (v.size() != 16)
    return false;
  out.min_ns = static_cast<int64_t>(get_le64(v.data()));
  out.max_ns = static_cast<int64_t>(get_le64(v.data() + 8));
  return out.min_ns <= out.max_ns;
}

bool scope_matches(std::string_view prefix, std::string_view scope) noexcept {
  if (prefix.empty())
    return true;
  if (scope.size() < prefix.size() ||
      scope.compare(0, prefix.size(), prefix) != 0)
    return false;
  return scope.size() == prefix.size() || scope[prefix.size()] == '/';
}

} // namespace herald::storage
