// merge_scope_levels: a cluster's page of one scope level from each node's.

#include <gtest/gtest.h>

#include "tools/api/scopes_api.hpp"

namespace herald::api {
namespace {

using scopes = std::vector<std::string>;

TEST(scope_merge_test, UnionsTheNodesLevelsOnceInByteOrder) {
  auto m =
      merge_scope_levels({{{"a", "c"}, ""}, {{"b", "c"}, ""}, {{}, ""}}, 10);
  EXPECT_EQ(m.scopes, (scopes{"a", "b", "c"}));
  EXPECT_TRUE(m.next.empty());
}

TEST(scope_merge_test, StopsWhereANodeHasNotLookedYet) {
  // n1 listed a, b and stopped (budget) after b; n2 has d: d may come after
  // scopes n1 has not examined, so the page ends at b.
  auto m = merge_scope_levels({{{"a", "b"}, "b"}, {{"a", "d"}, ""}}, 10);
  EXPECT_EQ(m.scopes, (scopes{"a", "b"}));
  EXPECT_EQ(m.next, "b");
  // A node that examined past its last listed scope (hidden ones).
  m = merge_scope_levels({{{"a"}, "c"}, {{"b", "d"}, ""}}, 10);
  EXPECT_EQ(m.scopes, (scopes{"a", "b"}));
  EXPECT_EQ(m.next, "c");
}

TEST(scope_merge_test, CutsAtTheLimitAndResumesThere) {
  auto m =
      merge_scope_levels({{{"a", "c", "e"}, "e"}, {{"b", "d", "f"}, "f"}}, 3);
  EXPECT_EQ(m.scopes, (scopes{"a", "b", "c"}));
  EXPECT_EQ(m.next, "c");
  m = merge_scope_levels({{{"a", "b"}, ""}}, 2);
  EXPECT_EQ(m.scopes, (scopes{"a", "b"}));
  EXPECT_TRUE(m.next.empty()) << "a full page at the end has no next";
}

} // namespace
} // namespace herald::api
