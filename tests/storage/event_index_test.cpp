#include "storage/event_index.hpp"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::storage {
namespace {

std::vector<std::string> index_keys(const v1::Event& ev) {
  std::vector<std::string> out;
  std::string buf;
  for_each_index_key(ev, buf, [&](std::string_view k) { out.emplace_back(k); });
  return out;
}

std::string key(index_type t, std::string_view v, uint64_t seq) {
  auto k = index_prefix(t, v);
  put_be64(k, seq);
  return k;
}

TEST(event_index, be64_round_trips_and_sorts_like_numbers) {
  std::vector<uint64_t> values{0, 1, 255, 256, 65535, 1ull << 40, ~uint64_t{0}};
  std::string prev;
  for (auto v : values) {
    auto k = seq_key(v);
    ASSERT_EQ(k.size(), 8u);
    EXPECT_EQ(get_be64(k.data()), v);
    if (!prev.empty()) {
      EXPECT_LT(prev, k);
    }
    prev = k;
  }
}

TEST(event_index, event_yields_one_key_per_field_and_scope_ancestor) {
  v1::Event ev;
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_tenant("acme");
  ev.set_user("alice");
  ev.set_scope("inventory/test/app/1.0");
  ev.set_seq(7);
  auto keys = index_keys(ev);
  std::set<std::string> got(keys.begin(), keys.end());
  std::set<std::string> want{
      key(index_type::name, "iam.user.created", 7),
      key(index_type::source, "iam", 7),
      key(index_type::tenant, "acme", 7),
      key(index_type::user, "alice", 7),
      key(index_type::scope, "inventory", 7),
      key(index_type::scope, "inventory/test", 7),
      key(index_type::scope, "inventory/test/app", 7),
      key(index_type::scope, "inventory/test/app/1.0", 7),
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(keys.size(), want.size());
  for (auto& k : keys)
    EXPECT_EQ(index_entry_seq(k), 7u);
}

TEST(event_index, posting_round_trips_any_increasing_seqs) {
  const std::vector<std::vector<uint64_t>> cases{
      {7},
      {1, 2, 3},
      {5, 200, 201, 70000, 1ull << 40},
      {0, ~uint64_t{0}},
      {(1ull << 63) - 1, 1ull << 63, ~uint64_t{0} - 1},
  };
  for (const auto& seqs : cases) {
    std::string value;
    append_posting_value(value, seqs.data(), seqs.size());
    if (seqs.size() == 1) {
      EXPECT_TRUE(value.empty()); // a format 1 entry is a one-seq posting
    }
    std::vector<uint64_t> out{99, 98}; // replaced, not appended to
    ASSERT_TRUE(decode_posting(seqs.front(), value, out));
    EXPECT_EQ(out, seqs);
  }
}

TEST(event_index, malformed_postings_are_refused) {
  std::vector<uint64_t> out;
  EXPECT_FALSE(decode_posting(1, std::string{"\x80"}, out));    // truncated
  EXPECT_FALSE(decode_posting(1, std::string{"\x00", 1}, out)); // zero step
  EXPECT_FALSE(decode_posting(~uint64_t{0}, std::string{"\x01"}, out));
  // Eleven continuation bytes: longer than any 64-bit varint.
  EXPECT_FALSE(decode_posting(1, std::string(11, '\xff') + "\x01", out));
  // A 10-byte varint above 2^64.
  EXPECT_FALSE(
      decode_posting(0, std::string(9, '\xff') + std::string{"\x02"}, out));
}

TEST(event_index, empty_fields_have_no_entries) {
  v1::Event ev;
  ev.set_name("a");
  ev.set_seq(1);
  EXPECT_EQ(index_keys(ev),
            std::vector<std::string>{key(index_type::name, "a", 1)});
}

TEST(event_index, prefixes_are_prefix_free_even_with_control_bytes) {
  // The prefix of value v must not be a prefix of any key of another value.
  std::vector<std::string> values{"a",
                                  "ab",
                                  std::string("a\0", 2),
                                  std::string("a\0b", 3),
                                  std::string("a\x01", 2),
                                  std::string("a\x01\x01", 3),
                                  std::string("\0", 1),
                                  ""};
  for (auto& v : values) {
    auto p = index_prefix(index_type::source, v);
    EXPECT_EQ(p.back(), '\0');
    EXPECT_EQ(p.find('\0'), p.size() - 1) << "escaped value holds no NUL";
    for (auto& w : values) {
      if (w == v)
        continue;
      auto k = key(index_type::source, w, 5);
      EXPECT_FALSE(k.starts_with(p))
          << "value " << w.size() << " under " << v.size();
    }
  }
}

TEST(event_index, types_do_not_collide) {
  EXPECT_NE(index_prefix(index_type::source, "x"),
            index_prefix(index_type::tenant, "x"));
}

TEST(event_index, entries_of_one_value_sort_by_seq) {
  auto a = key(index_type::name, "n", 2);
  auto b = key(index_type::name, "n", 256);
  auto c = key(index_type::name, "n", 1ull << 33);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(event_index, scope_matches_whole_segments_only) {
  EXPECT_TRUE(scope_matches("inventory/test", "inventory/test"));
  EXPECT_TRUE(scope_matches("inventory/test", "inventory/test/app"));
  EXPECT_TRUE(scope_matches("inventory/test", "inventory/test/app/1.0"));
  EXPECT_FALSE(scope_matches("inventory/test", "inventory/testing"));
  EXPECT_FALSE(scope_matches("inventory/test", "inventory"));
  EXPECT_FALSE(scope_matches("inventory/test", ""));
  EXPECT_TRUE(scope_matches("", "anything"));
  EXPECT_TRUE(scope_matches("", ""));
  EXPECT_EQ(normalize_scope_prefix("inventory/test/"), "inventory/test");
  EXPECT_EQ(normalize_scope_prefix("/"), "");
}

TEST(event_index, zone_round_trips_and_overlaps_half_open) {
  zone_range z{10, 10};
  z.widen(5);
  z.widen(20);
  EXPECT_EQ(z.min_ns, 5);
  EXPECT_EQ(z.max_ns, 20);
  zone_range back;
  ASSERT_TRUE(decode_zone(encode_zone(z), back));
  EXPECT_EQ(back.min_ns, 5);
  EXPECT_EQ(back.max_ns, 20);
  zone_range neg{-7, -3};
  ASSERT_TRUE(decode_zone(encode_zone(neg), back));
  EXPECT_EQ(back.min_ns, -7);
  EXPECT_EQ(back.max_ns, -3);
  EXPECT_FALSE(decode_zone("short", back));
  EXPECT_TRUE(z.overlaps(20, 21)); // since inclusive
  EXPECT_FALSE(z.overlaps(21, 30));
  EXPECT_FALSE(z.overlaps(0, 5)); // until exclusive
  EXPECT_TRUE(z.overlaps(0, 6));
}

} // namespace
} // namespace herald::storage
