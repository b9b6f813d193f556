// subject_trie: nats-server sublist_test.go scenarios, a (pattern, name)
// table, and a randomized comparison against pattern_matches.

#include "runtime/subject_trie.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace herald::runtime {
namespace {

using trie = subject_trie<int>;

std::vector<int> match(const trie& t, std::string_view name) {
  std::vector<int> out;
  t.match(name, out);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(subject_trie, starts_empty) {
  trie t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_TRUE(match(t, "foo").empty());
}

TEST(subject_trie, counts_inserted_pairs) {
  trie t;
  EXPECT_TRUE(t.insert("foo", 1));
  EXPECT_TRUE(t.insert("bar", 2));
  EXPECT_TRUE(t.insert("foo.bar", 3));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.empty());
}

TEST(subject_trie, matches_literal_single_and_multi_token) {
  trie t;
  t.insert("foo", 1);
  t.insert("foo.bar.baz", 2);
  EXPECT_EQ(match(t, "foo"), std::vector<int>{1});
  EXPECT_EQ(match(t, "foo.bar.baz"), std::vector<int>{2});
  // nats bug report #18: a one-token subscription must not match two tokens.
  EXPECT_TRUE(match(t, "foo.bar").empty());
}

TEST(subject_trie, star_in_the_middle_and_at_the_end) {
  trie t;
  t.insert("a.b.c", 1);
  t.insert("a.*.c", 2);
  t.insert("a.b.*", 3);
  EXPECT_EQ(match(t, "a.b.c"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(match(t, "a.x.c"), std::vector<int>{2});
  EXPECT_EQ(match(t, "a.b.x"), std::vector<int>{3});
  EXPECT_TRUE(match(t, "a.b").empty());
  EXPECT_TRUE(match(t, "a.b.c.d").empty());
}

TEST(subject_trie, full_wildcard_needs_at_least_one_more_segment) {
  trie t;
  t.insert("a.b.c", 1);
  t.insert("a.>", 2);
  t.insert(">", 3);
  EXPECT_EQ(match(t, "a.b.c"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(match(t, "a.b"), (std::vector<int>{2, 3}));
  EXPECT_EQ(match(t, "a"), std::vector<int>{3});
  EXPECT_EQ(match(t, "b"), std::vector<int>{3});
}

TEST(subject_trie, invalid_names_match_nothing_even_full_wildcard) {
  trie t;
  t.insert(">", 1);
  t.insert("*", 2);
  for (const char* name :
       {"", ".foo", "..foo", "foo..", "foo.", "foo..bar", "foo...bar", "a b"})
    EXPECT_TRUE(match(t, name).empty()) << name;
}

TEST(subject_trie, rejects_invalid_patterns_on_insert_and_erase) {
  trie t;
  for (const char* p : {".foo", "foo.", "foo..bar", "foo.bar..baz", "foo.>.bar",
                        "foo.*-", "foo.>-", "", "a*"})
    EXPECT_FALSE(t.insert(p, 1)) << p;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_FALSE(t.erase("a.b..d", 1));
  EXPECT_FALSE(t.erase("a.>.b", 1));
}

TEST(subject_trie,
     duplicate_pair_is_refused_but_same_value_under_two_patterns_is_kept) {
  trie t;
  EXPECT_TRUE(t.insert("foo.*", 7));
  EXPECT_FALSE(t.insert("foo.*", 7));
  EXPECT_TRUE(t.insert("foo.>", 7));
  EXPECT_TRUE(t.insert("foo.*", 8));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(match(t, "foo.bar"), (std::vector<int>{7, 7, 8}));
}

TEST(subject_trie, erase_removes_one_pair) {
  trie t;
  t.insert("a.b.c.d", 1);
  EXPECT_FALSE(t.erase("a.b.c", 1));   // a prefix of a stored pattern
  EXPECT_FALSE(t.erase("a.b.c.d", 2)); // other value
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.erase("a.b.c.d", 1));
  EXPECT_FALSE(t.erase("a.b.c.d", 1));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(match(t, "a.b.c.d").empty());
}

TEST(subject_trie, erase_wildcards_one_by_one) {
  trie t;
  t.insert("a.b.c.d", 1);
  t.insert("a.b.*.d", 2);
  t.insert("a.b.>", 3);
  EXPECT_EQ(match(t, "a.b.c.d"), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(t.erase("a.b.c.d", 1));
  EXPECT_EQ(match(t, "a.b.c.d"), (std::vector<int>{2, 3}));
  EXPECT_TRUE(t.erase("a.b.>", 3));
  EXPECT_EQ(match(t, "a.b.c.d"), std::vector<int>{2});
  EXPECT_TRUE(t.erase("a.b.*.d", 2));
  EXPECT_TRUE(match(t, "a.b.c.d").empty());
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(subject_trie, erase_prunes_literal_levels) {
  trie t;
  t.insert("a.b.c.d.e.f", 1);
  EXPECT_EQ(t.node_count(), 6u);
  t.erase("a.b.c.d.e.f", 1);
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(subject_trie, erase_prunes_wildcard_levels) {
  trie t;
  t.insert("a.b.*.d.e.>", 1);
  EXPECT_EQ(t.node_count(), 5u); // '>' lives on the node of "e"
  t.erase("a.b.*.d.e.>", 1);
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(subject_trie, erase_keeps_nodes_still_in_use) {
  trie t;
  t.insert("a.b", 1);
  t.insert("a.b.c", 2);
  t.insert("a.*.c", 3);
  t.insert("a.>", 4);
  t.erase("a.b.c", 2);
  EXPECT_EQ(t.node_count(), 4u); // a, a.b, a.*, a.*.c
  EXPECT_EQ(match(t, "a.b"), (std::vector<int>{1, 4}));
  t.erase("a.*.c", 3);
  EXPECT_EQ(t.node_count(), 2u);
  EXPECT_EQ(match(t, "a.x.c"), std::vector<int>{4});
  t.erase("a.b", 1);
  EXPECT_EQ(t.node_count(), 1u); // a holds the '>' value
  t.erase("a.>", 4);
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_TRUE(t.empty());
}

TEST(subject_trie, many_values_on_one_pattern) {
  trie t;
  for (int i = 0; i < 100; ++i)
    t.insert("foo", i);
  EXPECT_EQ(match(t, "foo").size(), 100u);
  EXPECT_TRUE(t.erase("foo", 50));
  EXPECT_TRUE(t.erase("foo", 0));
  EXPECT_TRUE(t.erase("foo", 99));
  auto got = match(t, "foo");
  EXPECT_EQ(got.size(), 97u);
  EXPECT_EQ(std::count(got.begin(), got.end(), 50), 0);
}

TEST(subject_trie, later_inserts_are_seen_by_later_matches) {
  // nats TestSublistCache: adding to a wildcard updates results.
  trie t;
  t.insert("foo.*", 1);
  t.insert("foo.bar", 2);
  EXPECT_EQ(match(t, "foo.baz"), std::vector<int>{1});
  EXPECT_EQ(match(t, "foo.bar"), (std::vector<int>{1, 2}));
  t.insert("foo.>", 3);
  EXPECT_EQ(match(t, "foo.bar"), (std::vector<int>{1, 2, 3}));
}

TEST(subject_trie, works_with_string_values) {
  subject_trie<std::string> t;
  t.insert("iam.*.created", "welcome");
  t.insert("iam.>", "audit");
  std::vector<std::string> out;
  t.match("iam.user.created", out);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"audit", "welcome"}));
}

struct table_case {
  const char* pattern;
  const char* name;
  bool expected;
};

// Every valid-pattern case of nats' TestSublistMatchLiterals and the
// sublist scenarios, one pattern per trie.
constexpr table_case table[] = {
    {"foo", "foo", true},
    {"bar", "foo", false},
    {"*", "foo", true},
    {">", "foo", true},
    {">", "foo.bar", true},
    {"foo.>", "foo.bar", true},
    {"bar.>", "foo.bar", false},
    {"stats.>", "stats.test.22", true},
    {"stats.*.*", "stats.test.22", true},
    {"foo", "foo.bar", false},
    {"stats.test.foos", "stats.test.foos", true},
    {"stats.test.foo", "stats.test.foos", false},
    {"stats.test.*", "stats.test", false},
    {"stats.*", "stats.test.foos", false},
    {"stats.*.*.foos", "stats.test.foos", false},
    {"foo.>", "foo", false},
    {"a.*", "a.b.c", false},
    {"*.*", "a", false},
    {"*.>", "a.b", true},
    {"a.*.c", "a.b.c", true},
    {"a.b.*", "a.b.c", true},
    {"a.b.*.d", "a.b.c.d", true},
    {"a.b.>", "a.b.c.d", true},
    {"a.b.>", "a.b", false},
    {"foo.*-", "foo.bar", false},
    {"foo-.*", "foo-.bar", true},
};

TEST(subject_trie, table_agrees_with_expected_and_pattern_matches) {
  for (const auto& c : table) {
    trie t;
    bool inserted = t.insert(c.pattern, 1);
    EXPECT_EQ(inserted, is_valid_pattern(c.pattern)) << c.pattern;
    bool got = !match(t, c.name).empty();
    if (inserted) {
      EXPECT_EQ(got, c.expected) << c.pattern << " vs " << c.name;
    }
    EXPECT_EQ(got, pattern_matches(c.pattern, c.name))
        << c.pattern << " vs " << c.name;
  }
}

// -- randomized comparison ----------------------------------------------------

std::string random_name(std::mt19937& rng, size_t max_segments) {
  static constexpr const char* segs[] = {"a", "b", "c", "ab"};
  std::uniform_int_distribution<size_t> len(1, max_segments);
  std::uniform_int_distribution<size_t> pick(0, 3);
  std::string out;
  for (size_t i = 0, n = len(rng); i < n; ++i) {
    if (i > 0)
      out += '.';
    out += segs[pick(rng)];
  }
  return out;
}

std::string random_pattern(std::mt19937& rng) {
  static constexpr const char* segs[] = {"a", "b", "c", "ab", "*", "*"};
  std::uniform_int_distribution<size_t> len(1, 4);
  std::uniform_int_distribution<size_t> pick(0, 5);
  std::uniform_int_distribution<int> coin(0, 3);
  std::string out;
  size_t n = len(rng);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0)
      out += '.';
    out += (i + 1 == n && coin(rng) == 0) ? ">" : segs[pick(rng)];
  }
  return out;
}

using pair_list = std::vector<std::pair<std::string, int>>;

void expect_same_as_brute_force(const trie& t, const pair_list& live,
                                std::mt19937& rng) {
  for (int i = 0; i < 400; ++i) {
    auto name = random_name(rng, 5);
    std::vector<int> want;
    for (const auto& [p, v] : live)
      if (pattern_matches(p, name))
        want.push_back(v);
    std::sort(want.begin(), want.end());
    ASSERT_EQ(match(t, name), want) << "name " << name;
  }
}

TEST(subject_trie, random_patterns_agree_with_pattern_matches) {
  std::mt19937 rng{20240611};
  for (int round = 0; round < 20; ++round) {
    trie t;
    pair_list live;
    for (int v = 0; v < 150; ++v) {
      auto p = random_pattern(rng);
      // Reuse a value sometimes so one value sits under several patterns.
      int value = v % 7 == 0 && v > 0 ? v - 1 : v;
      bool fresh = std::find(live.begin(), live.end(),
                             std::make_pair(p, value)) == live.end();
      ASSERT_EQ(t.insert(p, value), fresh) << p;
      if (fresh)
        live.emplace_back(p, value);
    }
    ASSERT_EQ(t.size(), live.size());
    expect_same_as_brute_force(t, live, rng);
    // Erase a random half, then everything.
    std::shuffle(live.begin(), live.end(), rng);
    while (live.size() > 75) {
      ASSERT_TRUE(t.erase(live.back().first, live.back().second));
      ASSERT_FALSE(t.erase(live.back().first, live.back().second));
      live.pop_back();
    }
    ASSERT_EQ(t.size(), live.size());
    expect_same_as_brute_force(t, live, rng);
    for (const auto& [p, v] : live)
      ASSERT_TRUE(t.erase(p, v));
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.node_count(), 0u);
  }
}

} // namespace
} // namespace herald::runtime
