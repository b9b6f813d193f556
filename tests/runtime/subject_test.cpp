// Names and patterns (DESIGN §2), with nats-server's sublist cases as the
// reference for matching. Where nats accepts partial wildcards (`foo*`) as
// literals, Herald rejects them: names cannot contain '*' or '>'.

#include "runtime/subject.hpp"

#include <string>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::runtime {
namespace {

TEST(subject_name, accepts_dot_separated_segments) {
  for (const char* name : {"foo", "foo.bar", "iam.user.created", "a-b.c_d.E9",
                           "0", "-", "_", "server.ready"})
    EXPECT_TRUE(is_valid_name(name)) << name;
}

TEST(subject_name, rejects_empty_segments_wildcards_and_other_bytes) {
  for (const char* name :
       {"", ".", ".foo", "foo.", "foo..bar", "foo.bar..baz", "*", ">", "foo.*",
        "foo.>", "foo*", "foo>bar", "foo bar", "foo\tbar", "foo/bar",
        "caf\xc3\xa9", "a.b:c"})
    EXPECT_FALSE(is_valid_name(name)) << name;
  EXPECT_FALSE(is_valid_name(std::string_view{"a\0b", 3}));
}

TEST(subject_name, allows_at_most_256_bytes) {
  std::string name(256, 'a');
  EXPECT_TRUE(is_valid_name(name));
  name += 'a';
  EXPECT_FALSE(is_valid_name(name));
  std::string dotted;
  while (dotted.size() < 255)
    dotted += dotted.empty() ? "a" : ".a";
  EXPECT_TRUE(is_valid_name(dotted)); // 128 segments
}

TEST(subject_pattern, accepts_literals_and_whole_segment_wildcards) {
  for (const char* p :
       {"foo", "foo.bar", "*", ">", "foo.*", "foo.>", "*.bar", "*.*", "*.>",
        "foo.*.baz", "iam.*.created", "trigger.>", "a.b.*.d.e.>"}) {
    EXPECT_TRUE(is_valid_pattern(p)) << p;
    EXPECT_FALSE(validate_pattern(p, "name")) << p;
  }
}

TEST(subject_pattern,
     rejects_malformed_patterns_like_nats_and_partial_wildcards) {
  // nats: empty tokens and a '>' that is not last are invalid.
  // Herald also rejects what nats would take as literals.
  for (const char* p : {"",         ".",         ".foo",
                        "foo.",     "foo..bar",  "foo.bar..baz",
                        ">.bar",    "foo.>.bar", "a.>.b",
                        "a.b..d",   "foo*",      "foo**",
                        "foo.**",   "foo*bar",   "foo.*bar",
                        "foo*.bar", "*bar",      "foo>",
                        "foo.>>",   "foo>bar",   "foo.>bar",
                        "foo>.bar", ">bar",      "foo.*-",
                        "foo.>-",   "foo bar",   "foo/bar",
                        "**",       ">>",        "*>"}) {
    EXPECT_FALSE(is_valid_pattern(p)) << p;
    auto err = validate_pattern(p, "/3/event");
    ASSERT_TRUE(err) << p;
    auto d = describe(err);
    EXPECT_EQ(d.code, errc::invalid_pattern) << p;
    EXPECT_EQ(d.field, "/3/event") << p;
    EXPECT_FALSE(d.message.empty()) << p;
  }
}

TEST(subject_pattern, error_messages_say_what_is_wrong) {
  auto why = [](std::string_view p) {
    return describe(validate_pattern(p, "pattern")).message;
  };
  EXPECT_EQ(why(""), "pattern is empty");
  EXPECT_EQ(why("foo..bar"), "segment 2 is empty");
  EXPECT_EQ(why("foo.>.bar"), "'>' is only allowed as the last segment");
  EXPECT_EQ(why("foo.a*"),
            "segment 2 'a*' mixes a wildcard with other characters");
  EXPECT_NE(why("foo.b/r").find("'/'"), std::string::npos);
  EXPECT_NE(why("foo.\x01").find("byte 0x01"), std::string::npos);
  EXPECT_EQ(why(std::string(257, 'a')), "pattern is longer than 256 bytes");
}

TEST(subject_pattern, literal_patterns_have_no_wildcard_segment) {
  EXPECT_TRUE(is_literal_pattern("foo"));
  EXPECT_TRUE(is_literal_pattern("foo.bar"));
  EXPECT_FALSE(is_literal_pattern("*"));
  EXPECT_FALSE(is_literal_pattern(">"));
  EXPECT_FALSE(is_literal_pattern("foo.*"));
  EXPECT_FALSE(is_literal_pattern("foo.>"));
  EXPECT_FALSE(is_literal_pattern("foo.*.>"));
  EXPECT_FALSE(is_literal_pattern("foo.*.bar"));
  EXPECT_FALSE(is_literal_pattern("foo.bar.>"));
}

struct match_case {
  const char* pattern;
  const char* name;
  bool expected;
};

// nats-server sublist_test.go TestSublistMatchLiterals (minus its
// partial-wildcard literals) plus the DESIGN §2 rules.
constexpr match_case match_cases[] = {
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
    {"foo.*", "foo", false},
    {"a.*", "a.b.c", false},
    {"a.*.c", "a.b.c", true},
    {"a.b.*", "a.b.c", true},
    {"a.>", "a.b.c", true},
    {"*.*", "a", false},
    {"*.>", "a", false},
    {"*.>", "a.b", true},
    {"*.b", "a.b", true},
    {"*.b", "a.c", false},
    {"iam.*.created", "iam.user.created", true},
    {"iam.*.created", "iam.user.deleted", false},
    {"iam.*.created", "iam.created", false},
    {"trigger.>", "trigger.schedule.ok", true},
    {"trigger.>", "trigger", false},
    {"a.b.*.d.e.>", "a.b.c.d.e.f.g", true},
    {"a.b.*.d.e.>", "a.b.c.d.e", false},
    {"Foo", "foo", false},
    // Invalid names match nothing, not even `>` (nats
    // TestSublistMatchWithEmptyTokens).
    {">", ".foo", false},
    {">", "..foo", false},
    {">", "foo..", false},
    {">", "foo.", false},
    {">", "foo..bar", false},
    {">", "foo...bar", false},
    {">", "", false},
    {"*", "", false},
    {"*", "foo*", false},
    // Invalid patterns match nothing.
    {"foo*", "foo*", false},
    {"foo..bar", "foo..bar", false},
    {"", "", false},
};

TEST(subject_pattern, matches_like_nats) {
  for (const auto& c : match_cases)
    EXPECT_EQ(pattern_matches(c.pattern, c.name), c.expected)
        << "pattern '" << c.pattern << "' name '" << c.name << "'";
}

TEST(subject_pattern, literal_pattern_matches_only_itself) {
  for (const char* n : {"a", "a.b", "a.b.c", "b.a", "a.bb"})
    EXPECT_EQ(pattern_matches("a.b", n), std::string_view{n} == "a.b") << n;
}

} // namespace
} // namespace herald::runtime
