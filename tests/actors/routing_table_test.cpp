#include "actors/routing_table.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::actors {
namespace {

event_ptr make_ev(uint64_t seq, std::string name, std::string scope = {},
                  std::vector<std::string> groups = {},
                  std::string source = "svc") {
  auto ev = std::make_shared<v1::Event>();
  ev->set_seq(seq);
  ev->set_id("id-" + std::to_string(seq));
  ev->set_name(std::move(name));
  ev->set_scope(std::move(scope));
  ev->set_source(std::move(source));
  for (auto& g : groups)
    ev->add_allowed_groups(g);
  return ev;
}

subscription make_sub(std::string id, std::optional<std::string> name = {}) {
  subscription sub;
  sub.id = std::move(id);
  sub.name = std::move(name);
  sub.who = runtime::identity::anonymous_admin();
  return sub;
}

std::vector<uint64_t> seqs(const event_ptrs& evs) {
  std::vector<uint64_t> out;
  for (auto& ev : evs)
    out.push_back(ev->seq());
  return out;
}

const routing_table::local_delivery*
find_delivery(const routing_table::route_result& res, const std::string& id) {
  for (auto& d : res.local)
    if (d.subscription_id == id)
      return &d;
  return nullptr;
}

TEST(scope_has_prefix, whole_segments_only) {
  EXPECT_TRUE(scope_has_prefix("inventory/test/app", "inventory/test"));
  EXPECT_TRUE(scope_has_prefix("inventory/test", "inventory/test"));
  EXPECT_TRUE(scope_has_prefix("inventory/test", "inventory/test/"));
  EXPECT_FALSE(scope_has_prefix("inventory/testing", "inventory/test"));
  EXPECT_FALSE(scope_has_prefix("inventory", "inventory/test"));
  EXPECT_FALSE(scope_has_prefix("", "inventory"));
  EXPECT_TRUE(scope_has_prefix("", ""));
  EXPECT_TRUE(scope_has_prefix("anything/at/all", "/"));
}

TEST(routing_table, routes_by_name_pattern_in_seq_order) {
  routing_table table;
  ASSERT_FALSE(table.add(make_sub("users", "iam.user.*"), 1));
  ASSERT_FALSE(table.add(make_sub("all-iam", "iam.>"), 2));
  ASSERT_FALSE(table.add(make_sub("everything"), 3));
  event_ptrs evs{make_ev(1, "iam.user.created"), make_ev(2, "billing.paid"),
                 make_ev(3, "iam.group.created"),
                 make_ev(4, "iam.user.deleted")};
  routing_table::route_result res;
  table.route(evs, res);
  ASSERT_EQ(res.local.size(), 3u);
  EXPECT_EQ(seqs(find_delivery(res, "users")->events),
            (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(seqs(find_delivery(res, "all-iam")->events),
            (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(seqs(find_delivery(res, "everything")->events),
            (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(find_delivery(res, "users")->owner, 1u);
  EXPECT_TRUE(res.peers.empty());
}

TEST(routing_table, applies_scope_filter_and_visibility) {
  routing_table table;
  auto scoped = make_sub("scoped");
  scoped.scope = "inventory/test";
  ASSERT_FALSE(table.add(scoped, 1));
  auto filtered = make_sub("filtered");
  auto filter = runtime::content_filter::parse(R"({"source":["iam"]})");
  ASSERT_TRUE(filter) << caf::to_string(filter.error());
  filtered.filter = *filter;
  ASSERT_FALSE(table.add(filtered, 2));
  auto member = make_sub("member");
  member.who = runtime::identity{"bob", {"g1"}, {"reader"}};
  ASSERT_FALSE(table.add(member, 3));
  event_ptrs evs{
      make_ev(1, "a.b", "inventory/test/app"),
      make_ev(2, "a.b", "inventory/testing"), make_ev(3, "a.b", {}, {}, "iam"),
      make_ev(4, "a.b", {}, {"g2"}), make_ev(5, "a.b", {}, {"g2", "g1"})};
  routing_table::route_result res;
  table.route(evs, res);
  EXPECT_EQ(seqs(find_delivery(res, "scoped")->events),
            (std::vector<uint64_t>{1}));
  EXPECT_EQ(seqs(find_delivery(res, "filtered")->events),
            (std::vector<uint64_t>{3}));
  EXPECT_EQ(seqs(find_delivery(res, "member")->events),
            (std::vector<uint64_t>{1, 2, 3, 5}));
  // The single-subscription form agrees.
  EXPECT_TRUE(subscription_matches(member, *evs[4]));
  EXPECT_FALSE(subscription_matches(member, *evs[3]));
}

TEST(routing_table, replace_remove_and_owners) {
  routing_table table;
  ASSERT_FALSE(table.add(make_sub("s1", "a.*"), 7));
  ASSERT_FALSE(table.add(make_sub("s2", "b.*"), 7));
  ASSERT_FALSE(table.add(make_sub("s3", "c.*"), 8));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.owner_count(7), 2u);
  // Same id replaces, even for another owner.
  ASSERT_FALSE(table.add(make_sub("s1", "z.*"), 8));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.owner_count(7), 1u);
  EXPECT_EQ(*table.owner_of("s1"), 8u);
  EXPECT_EQ(*table.find("s1")->name, "z.*");
  routing_table::route_result res;
  table.route({make_ev(1, "a.x"), make_ev(2, "z.x")}, res);
  ASSERT_EQ(res.local.size(), 1u);
  EXPECT_EQ(res.local[0].subscription_id, "s1");
  EXPECT_EQ(seqs(res.local[0].events), (std::vector<uint64_t>{2}));
  auto removed = table.remove_owner(8);
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.remove("s2"));
  EXPECT_FALSE(table.remove("s2"));
  EXPECT_EQ(table.size(), 0u);
  table.route({make_ev(3, "b.x")}, res);
  EXPECT_TRUE(res.local.empty());
}

TEST(routing_table, rejects_bad_pattern_and_empty_id) {
  routing_table table;
  auto err = table.add(make_sub("s", "a.>.b"), 1);
  ASSERT_TRUE(err);
  EXPECT_EQ(runtime::describe(err).code, runtime::errc::invalid_pattern);
  err = table.add(make_sub("", "a.b"), 1);
  ASSERT_TRUE(err);
  EXPECT_EQ(runtime::describe(err).code, runtime::errc::invalid_parameter);
  EXPECT_EQ(table.size(), 0u);
}

TEST(routing_table, peers_get_each_matching_event_once) {
  routing_table table;
  EXPECT_TRUE(table.add_peer("n2"));
  EXPECT_FALSE(table.add_peer("n2"));
  EXPECT_TRUE(table.add_peer("n3"));
  ASSERT_FALSE(table.add_peer_interest("n2", "iam.>"));
  ASSERT_FALSE(table.add_peer_interest("n2", "iam.user.*"));
  ASSERT_FALSE(table.add_peer_interest("n3", "billing.*"));
  EXPECT_TRUE(table.add_peer_interest("n9", "x"));
  routing_table::route_result res;
  table.route({make_ev(1, "iam.user.created"), make_ev(2, "billing.paid"),
               make_ev(3, "other")},
              res);
  EXPECT_TRUE(res.local.empty());
  ASSERT_EQ(res.peers.size(), 2u);
  EXPECT_EQ(res.peers[0].node_id, "n2");
  EXPECT_EQ(seqs(res.peers[0].events), (std::vector<uint64_t>{1}));
  EXPECT_EQ(res.peers[1].node_id, "n3");
  EXPECT_EQ(seqs(res.peers[1].events), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(table.remove_peer("n2"));
  table.route({make_ev(4, "iam.user.created")}, res);
  EXPECT_TRUE(res.peers.empty());
  EXPECT_EQ(table.peers(), (std::vector<std::string>{"n3"}));
  EXPECT_TRUE(table.remove_peer_interest("n3", "billing.*"));
  EXPECT_FALSE(table.remove_peer_interest("n3", "billing.*"));
}

TEST(routing_table, many_subscribers_only_matching_ones_are_touched) {
  routing_table table;
  for (int i = 0; i < 1000; ++i)
    ASSERT_FALSE(table.add(
        make_sub("s" + std::to_string(i), "svc" + std::to_string(i) + ".>"),
        static_cast<uint64_t>(i)));
  routing_table::route_result res;
  table.route({make_ev(1, "svc42.thing"), make_ev(2, "svc7.x.y")}, res);
  ASSERT_EQ(res.local.size(), 2u);
  EXPECT_EQ(res.local[0].subscription_id, "s42");
  EXPECT_EQ(res.local[1].subscription_id, "s7");
}

} // namespace
} // namespace herald::actors
