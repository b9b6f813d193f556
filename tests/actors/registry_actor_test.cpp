#include "actors/registry_actor.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using actors::subscription;

subscription sub_for(std::string id, std::optional<std::string> name = {}) {
  subscription sub;
  sub.id = std::move(id);
  sub.name = std::move(name);
  sub.who = runtime::identity::anonymous_admin();
  return sub;
}

v1::Event scoped_event(const std::string& name, const std::string& scope) {
  auto ev = make_event(name);
  ev.set_scope(scope);
  return ev;
}

v1::Event restricted_event(const std::string& name, const std::string& group) {
  auto ev = make_event(name);
  ev.add_allowed_groups(group);
  return ev;
}

using registry_actor_test = actor_fixture;

TEST_F(registry_actor_test, routes_matching_visible_events_to_each_subscriber) {
  auto node = spawn_test_node();
  auto users = std::make_shared<delivery_log>();
  auto prod = std::make_shared<delivery_log>();
  auto member = std::make_shared<delivery_log>();
  auto filtered = std::make_shared<delivery_log>();
  ASSERT_TRUE(
      subscribe(node, sub_for("users", "iam.user.*"), spawn_collector(users)));
  auto prod_sub = sub_for("prod", "billing.>");
  prod_sub.scope = "acme/prod";
  ASSERT_TRUE(subscribe(node, prod_sub, spawn_collector(prod)));
  auto member_sub = sub_for("member");
  member_sub.who = runtime::identity{"bob", {"g1"}, {"reader"}};
  ASSERT_TRUE(subscribe(node, member_sub, spawn_collector(member)));
  auto filtered_sub = sub_for("filtered");
  auto filter = runtime::content_filter::parse(R"({"data.state":["on"]})");
  ASSERT_TRUE(filter);
  filtered_sub.filter = *filter;
  ASSERT_TRUE(subscribe(node, filtered_sub, spawn_collector(filtered)));

  auto on = make_event("device.changed");
  on.set_data_json(R"({"state":"on"})");
  auto off = make_event("device.changed");
  off.set_data_json(R"({"state":"off"})");
  auto res =
      publish(node, {
                        make_event("iam.user.created"),               // 1
                        scoped_event("billing.paid", "acme/prod/eu"), // 2
                        scoped_event("billing.paid", "acme/production"),
                        restricted_event("iam.user.deleted", "g2"), // 4
                        restricted_event("secret.thing", "g1"),     // 5
                        on,                                         // 6
                        off,                                        // 7
                    });
  ASSERT_EQ(res.size(), 7u);
  EXPECT_EQ(users->seqs(), (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(prod->seqs(), (std::vector<uint64_t>{2}));
  EXPECT_EQ(member->seqs(), (std::vector<uint64_t>{1, 2, 3, 5, 6, 7}));
  EXPECT_EQ(filtered->seqs(), (std::vector<uint64_t>{6}));
  // One deliver message per subscriber per routed batch.
  EXPECT_EQ(users->batches.size(), 1u);
  auto stats = registry_stats(node);
  EXPECT_EQ(stats.local_subscriptions, 4u);
  EXPECT_EQ(stats.last_routed_seq, 7u);
  EXPECT_EQ(stats.routed_events, 7u);
}

TEST_F(registry_actor_test, subscribe_replies_last_routed_seq) {
  auto node = spawn_test_node();
  publish(node, {make_event("a.b"), make_event("a.b"), make_event("a.b")});
  auto log = std::make_shared<delivery_log>();
  auto last = subscribe(node, sub_for("s", "a.b"), spawn_collector(log));
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 3u);
  publish(node, {make_event("a.b")});
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{4}));
}

TEST_F(registry_actor_test, drops_a_dead_subscriber) {
  auto node = spawn_test_node();
  auto alive = std::make_shared<delivery_log>();
  auto dead = std::make_shared<delivery_log>();
  ASSERT_TRUE(subscribe(node, sub_for("alive"), spawn_collector(alive)));
  auto doomed = spawn_collector(dead);
  ASSERT_TRUE(subscribe(node, sub_for("dead-1"), doomed));
  ASSERT_TRUE(subscribe(node, sub_for("dead-2", "x.*"), doomed));
  EXPECT_EQ(registry_stats(node).local_subscriptions, 3u);
  EXPECT_EQ(registry_stats(node).subscribers, 2u);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  run();
  auto stats = registry_stats(node);
  EXPECT_EQ(stats.local_subscriptions, 1u);
  EXPECT_EQ(stats.subscribers, 1u);
  publish(node, {make_event("x.y")});
  EXPECT_EQ(alive->size(), 1u);
  EXPECT_EQ(dead->size(), 0u);
  EXPECT_EQ(registry_stats(node).deliveries, 1u);
}

TEST_F(registry_actor_test, unsubscribe_and_replace) {
  auto node = spawn_test_node();
  auto a = std::make_shared<delivery_log>();
  auto b = std::make_shared<delivery_log>();
  auto actor_a = spawn_collector(a);
  ASSERT_TRUE(subscribe(node, sub_for("s"), actor_a));
  // Same id from another actor replaces the subscription.
  ASSERT_TRUE(subscribe(node, sub_for("s"), spawn_collector(b)));
  EXPECT_EQ(registry_stats(node).subscribers, 1u);
  publish(node, {make_event("a.b")});
  EXPECT_EQ(a->size(), 0u);
  EXPECT_EQ(b->size(), 1u);
  caf::anon_send(node.registry, actors::unsubscribe_atom::value,
                 std::string{"s"});
  caf::anon_send(node.registry, actors::unsubscribe_atom::value,
                 std::string{"unknown"});
  run();
  EXPECT_EQ(registry_stats(node).local_subscriptions, 0u);
  EXPECT_EQ(registry_stats(node).subscribers, 0u);
  publish(node, {make_event("a.b")});
  EXPECT_EQ(b->size(), 1u);
}

TEST_F(registry_actor_test, rejects_bad_pattern) {
  auto node = spawn_test_node();
  auto log = std::make_shared<delivery_log>();
  auto res = subscribe(node, sub_for("s", "a..b"), spawn_collector(log));
  ASSERT_FALSE(res);
  EXPECT_EQ(runtime::describe(res.error()).code,
            runtime::errc::invalid_pattern);
  EXPECT_EQ(registry_stats(node).local_subscriptions, 0u);
}

} // namespace
} // namespace herald::test
