// membership_table: views and rendezvous ownership (pure, no actors), and
// the cluster types' serialized form.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>
#include <gtest/gtest.h>

#include "actors/cluster/membership_table.hpp"
#include "actors/cluster/type_ids.hpp"

namespace herald::cluster {
namespace {

member node(std::string id) {
  return member{id, id + ":8471", id + ":8470"};
}

std::vector<member> nodes(std::initializer_list<const char*> ids) {
  std::vector<member> out;
  for (auto id : ids)
    out.push_back(node(id));
  return out;
}

std::string key(int i) {
  return "trigger/" + std::to_string(i);
}

TEST(membership_table, starts_empty_and_owns_nothing) {
  membership_table t{"n1"};
  EXPECT_EQ(t.current().view, 0u);
  EXPECT_TRUE(t.current().members.empty());
  EXPECT_FALSE(t.self_live());
  auto o = t.owner_of("k");
  EXPECT_EQ(o.owner, "");
  EXPECT_FALSE(o.local);
}

TEST(membership_table, a_single_member_owns_every_key) {
  membership_table t{"n1"};
  ASSERT_TRUE(t.update({node("n1")}));
  EXPECT_TRUE(t.self_live());
  for (int i = 0; i < 200; ++i) {
    auto o = t.owner_of(key(i));
    EXPECT_EQ(o.owner, "n1");
    EXPECT_TRUE(o.local);
    EXPECT_EQ(o.view, 1u);
  }
  EXPECT_TRUE(t.owner_of("").local);
}

TEST(membership_table, a_pinned_key_belongs_to_its_node_only_while_it_is_live) {
  membership_table a{"n1"};
  membership_table b{"n2"};
  ASSERT_TRUE(a.update(nodes({"n1", "n2", "n3"})));
  ASSERT_TRUE(b.update(nodes({"n1", "n2", "n3"})));
  const auto k = pinned_key("n2", "subscription/orders");
  EXPECT_EQ(k, "on/n2/subscription/orders");
  for (int i = 0; i < 50; ++i) {
    // Whatever the object, rendezvous hashing is not asked.
    const auto ki = pinned_key("n2", key(i));
    EXPECT_EQ(a.owner_of(ki).owner, "n2");
    EXPECT_FALSE(a.owner_of(ki).local);
    EXPECT_TRUE(b.owner_of(ki).local);
  }
  // A node id that is a prefix of another's is not that node.
  EXPECT_EQ(a.owner_of("on/n/subscription/orders").owner, "");
  // Its node gone: nobody owns it (its trail is on its disk).
  ASSERT_TRUE(a.update(nodes({"n1", "n3"})));
  EXPECT_EQ(a.owner_of(k).owner, "");
  EXPECT_FALSE(a.owner_of(k).local);
  // Not live itself: it owns nothing, its pinned keys included.
  ASSERT_TRUE(b.update(nodes({"n1", "n3"})));
  EXPECT_FALSE(b.owner_of(k).local);
}

TEST(membership_table, views_grow_only_on_change_and_members_are_sorted) {
  membership_table t{"n2"};
  ASSERT_TRUE(t.update(nodes({"n3", "n1", "n2"})));
  EXPECT_EQ(t.current().view, 1u);
  EXPECT_EQ(t.current().members, nodes({"n1", "n2", "n3"}));
  EXPECT_FALSE(t.update(nodes({"n2", "n3", "n1"}))) << "same set, new order";
  EXPECT_EQ(t.current().view, 1u);
  auto moved = nodes({"n1", "n2", "n3"});
  moved[2].http_address = "elsewhere:1";
  EXPECT_TRUE(t.update(moved)) << "an address change is a change";
  EXPECT_EQ(t.current().view, 2u);
  // Duplicates collapse: the last entry of an id wins.
  auto dup = nodes({"n1", "n2"});
  dup.push_back(member{"n1", "x:1", "x:2"});
  EXPECT_TRUE(t.update(dup));
  ASSERT_EQ(t.current().members.size(), 2u);
  EXPECT_EQ(t.current().members[0].caf_address, "x:1");
  EXPECT_TRUE(t.update({}));
  EXPECT_FALSE(t.self_live());
  EXPECT_EQ(t.current().view, 4u);
}

TEST(membership_table, every_node_picks_the_same_owner) {
  membership_table a{"n1"};
  membership_table b{"n2"};
  a.update(nodes({"n1", "n2", "n3"}));
  b.update(nodes({"n3", "n2", "n1"}));
  for (int i = 0; i < 500; ++i) {
    auto oa = a.owner_of(key(i));
    auto ob = b.owner_of(key(i));
    ASSERT_EQ(oa.owner, ob.owner) << key(i);
    EXPECT_EQ(oa.local, oa.owner == "n1");
    EXPECT_EQ(ob.local, ob.owner == "n2");
  }
}

TEST(membership_table, keys_spread_over_members) {
  membership_table t{"n1"};
  t.update(nodes({"n1", "n2", "n3", "n4"}));
  std::map<std::string, int> owned;
  const int keys = 4000;
  for (int i = 0; i < keys; ++i)
    ++owned[t.owner_of(key(i)).owner];
  ASSERT_EQ(owned.size(), 4u);
  for (auto& [id, n] : owned) {
    EXPECT_GT(n, keys / 4 * 8 / 10) << id;
    EXPECT_LT(n, keys / 4 * 12 / 10) << id;
  }
}

TEST(membership_table, a_leaving_member_moves_only_its_own_keys) {
  membership_table before{"n1"};
  membership_table after{"n1"};
  before.update(nodes({"n1", "n2", "n3", "n4"}));
  after.update(nodes({"n1", "n2", "n4"}));
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    auto was = before.owner_of(key(i)).owner;
    auto now = after.owner_of(key(i)).owner;
    if (was == "n3") {
      EXPECT_NE(now, "n3");
      ++moved;
    } else {
      EXPECT_EQ(now, was) << key(i) << " moved though its owner stayed";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(membership_table, a_joining_member_takes_keys_only_for_itself) {
  membership_table before{"n1"};
  membership_table after{"n1"};
  before.update(nodes({"n1", "n2"}));
  after.update(nodes({"n1", "n2", "n5"}));
  int taken = 0;
  for (int i = 0; i < 2000; ++i) {
    auto now = after.owner_of(key(i)).owner;
    if (now == "n5")
      ++taken;
    else
      EXPECT_EQ(now, before.owner_of(key(i)).owner) << key(i);
  }
  EXPECT_GT(taken, 0);
}

TEST(membership_table, the_score_is_fixed_across_builds) {
  // Golden values: the score is a cluster protocol; a change here means
  // mixed-version clusters disagree about owners.
  EXPECT_NE(rendezvous_score("n1", "k"), rendezvous_score("n2", "k"));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(rendezvous_score("ab", "c"), rendezvous_score("a", "bc"));
  EXPECT_EQ(rendezvous_score("", ""), 0x25fc6dd36ce04b20ULL);
  EXPECT_EQ(rendezvous_score("n1", "trigger/hourly"), 0x8355e6e278caf55eULL);
  EXPECT_EQ(rendezvous_score("n2", "trigger/hourly"), 0xe856b77d71e285f1ULL);
}

TEST(cluster_types, a_view_survives_serialization_as_a_message) {
  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  membership m{7, nodes({"n1", "n2"})};
  auto msg = caf::make_message(view_atom::value, m, ownership{"n2", false, 7},
                               progress{std::string{"\0cursor", 7}, 42});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  ASSERT_TRUE((
      copy.match_elements<caf::atom_value, membership, ownership, progress>()));
  EXPECT_EQ(copy.get_as<membership>(1), m);
  EXPECT_EQ(copy.get_as<ownership>(2), (ownership{"n2", false, 7}));
  EXPECT_EQ(copy.get_as<progress>(3).value, std::string("\0cursor", 7));
  EXPECT_EQ(copy.get_as<progress>(3).revision, 42u);
}

} // namespace
} // namespace herald::cluster
