// runtime::can_see (DESIGN §3 visibility) and identity::may (role checks).

#include "runtime/identity.hpp"

#include <gtest/gtest.h>

#include "herald/v1/event.pb.h"

namespace herald::runtime {
namespace {

v1::Event for_groups(std::initializer_list<const char*> groups) {
  v1::Event ev;
  ev.set_name("x.y");
  for (auto* g : groups)
    ev.add_allowed_groups(g);
  return ev;
}

TEST(can_see, ungrouped_events_are_visible_to_every_caller) {
  EXPECT_TRUE(can_see(identity{"nobody", {}, {"reader"}}, for_groups({})));
  EXPECT_TRUE(can_see(identity{"a", {"a"}, {"reader"}}, for_groups({})));
}

TEST(can_see, a_grouped_event_needs_a_shared_group) {
  identity alice{"alice", {"a", "c"}, {"reader"}};
  EXPECT_TRUE(can_see(alice, for_groups({"a"})));
  EXPECT_TRUE(can_see(alice, for_groups({"b", "c"})));
  EXPECT_FALSE(can_see(alice, for_groups({"b"})));
  EXPECT_FALSE(can_see(identity{"nobody", {}, {"reader"}}, for_groups({"a"})));
  // Group names match exactly, not by prefix or case.
  EXPECT_FALSE(can_see(alice, for_groups({"A"})));
  EXPECT_FALSE(can_see(alice, for_groups({"ab"})));
}

TEST(can_see, admins_see_everything) {
  EXPECT_TRUE(can_see(identity{"root", {}, {"admin"}}, for_groups({"b"})));
  EXPECT_TRUE(can_see(identity::anonymous_admin(), for_groups({"x", "y"})));
}

TEST(can_see, restricted_system_events_are_for_the_admin_role_only) {
  // Herald's own auth.* records: kind sys with allowed_groups ["admin"].
  // "admin" there names the role; a group of that name opens nothing.
  auto ev = for_groups({"admin"});
  ev.set_name("auth.ok");
  ev.set_source("herald");
  ev.set_kind(v1::KIND_SYS);
  EXPECT_FALSE(can_see(identity{"mallory", {"admin"}, {"reader"}}, ev));
  EXPECT_FALSE(
      can_see(identity{"pub", {"admin", "ops"}, {"reader", "publisher"}}, ev));
  EXPECT_TRUE(can_see(identity{"root", {}, {"admin"}}, ev));
  // A user's event restricted to a group that happens to be called admin is
  // an ordinary grouped event.
  auto mine = for_groups({"admin"});
  EXPECT_TRUE(can_see(identity{"ann", {"admin"}, {"reader"}}, mine));
  // An unrestricted system event stays visible to every caller.
  v1::Event ready;
  ready.set_name("server.ready");
  ready.set_kind(v1::KIND_SYS);
  EXPECT_TRUE(can_see(identity{"r", {}, {"reader"}}, ready));
}

TEST(identity_may, a_role_or_admin_is_needed) {
  identity reader{"r", {}, {"reader"}};
  identity publisher{"p", {}, {"publisher"}};
  identity both{"b", {}, {"reader", "publisher"}};
  identity admin{"a", {}, {"admin"}};
  EXPECT_TRUE(reader.may("reader"));
  EXPECT_FALSE(reader.may("publisher"));
  EXPECT_FALSE(reader.may("admin"));
  EXPECT_FALSE(publisher.may("reader"));
  EXPECT_TRUE(both.may("reader") && both.may("publisher"));
  EXPECT_FALSE(both.may("admin"));
  EXPECT_TRUE(admin.may("reader") && admin.may("publisher") &&
              admin.may("admin"));
  EXPECT_FALSE(identity{}.may("reader"));
}

} // namespace
} // namespace herald::runtime
