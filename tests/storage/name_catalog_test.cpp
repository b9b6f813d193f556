#include "storage/name_catalog.hpp"

#include <gtest/gtest.h>

namespace herald::storage {
namespace {

using names = std::vector<std::string>;

TEST(name_catalog, literal_prefix_stops_at_the_first_wildcard) {
  EXPECT_EQ(pattern_literal_prefix("iam.*.created"), "iam.");
  EXPECT_EQ(pattern_literal_prefix("iam.user.>"), "iam.user.");
  EXPECT_EQ(pattern_literal_prefix("*.x"), "");
  EXPECT_EQ(pattern_literal_prefix(">"), "");
  EXPECT_EQ(pattern_literal_prefix("a.b"), "a.b");
  EXPECT_EQ(pattern_literal_prefix("a*.b"), "a*.b"); // '*' inside a segment
}

TEST(name_catalog, insert_contains_erase) {
  name_catalog c;
  EXPECT_TRUE(c.insert("a.b"));
  EXPECT_FALSE(c.insert("a.b"));
  EXPECT_TRUE(c.contains("a.b"));
  EXPECT_FALSE(c.contains("a"));
  EXPECT_EQ(c.size(), 1u);
  c.erase({"a.b"});
  EXPECT_FALSE(c.contains("a.b"));
}

TEST(name_catalog, expands_patterns_to_matching_names) {
  name_catalog c;
  for (auto n :
       {"iam.user.created", "iam.user.deleted", "iam.group.created", "iam",
        "iamx.user.created", "inv.item.created", "server.ready"})
    c.insert(n);
  EXPECT_EQ(*c.expand("iam.*.created", 64),
            (names{"iam.group.created", "iam.user.created"}));
  EXPECT_EQ(
      *c.expand("iam.>", 64),
      (names{"iam.group.created", "iam.user.created", "iam.user.deleted"}));
  EXPECT_EQ(*c.expand("*.*.created", 64),
            (names{"iam.group.created", "iam.user.created", "iamx.user.created",
                   "inv.item.created"}));
  EXPECT_EQ(*c.expand("*", 64), (names{"iam"}));
  EXPECT_TRUE(c.expand("nothing.*", 64)->empty());
}

TEST(name_catalog, expansion_is_capped) {
  name_catalog c;
  for (int i = 0; i < 10; ++i)
    c.insert("n.k" + std::to_string(i));
  EXPECT_EQ(c.expand("n.*", 10)->size(), 10u);
  EXPECT_FALSE(c.expand("n.*", 9).has_value());
}

} // namespace
} // namespace herald::storage
