// Queue groups in the pure routing table (DESIGN §4 `queue=NAME`): each
// event that matches a member goes to exactly one matching member, round
// robin, preferring members with room; a member that leaves hands what its
// consumer did not take to the others.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/routing_table.hpp"

namespace herald::actors {
namespace {

using route_result = routing_table::route_result;

event_ptr make_ev(uint64_t seq, std::string name = "a.b",
                  std::vector<std::string> groups = {}) {
  auto ev = std::make_shared<v1::Event>();
  ev->set_seq(seq);
  ev->set_id("id-" + std::to_string(seq));
  ev->set_name(std::move(name));
  ev->set_source("svc");
  for (auto& g : groups)
    ev->add_allowed_groups(g);
  return ev;
}

event_ptrs make_evs(uint64_t first, uint64_t last,
                    const std::string& name = "a.b") {
  event_ptrs out;
  for (auto s = first; s <= last; ++s)
    out.push_back(make_ev(s, name));
  return out;
}

subscription member(std::string id, std::string queue = "workers",
                    std::shared_ptr<queue_gate> gate = nullptr,
                    std::optional<std::string> name = {}) {
  subscription sub;
  sub.id = std::move(id);
  sub.name = std::move(name);
  sub.who = runtime::identity::anonymous_admin();
  sub.queue = std::move(queue);
  sub.gate = std::move(gate);
  return sub;
}

/// Seqs per subscription id, accumulated over route results.
using received = std::map<std::string, std::vector<uint64_t>>;

void collect(const route_result& res, received& out) {
  for (auto& d : res.local)
    for (auto& ev : d.events)
      out[d.subscription_id].push_back(ev->seq());
}

received route(routing_table& t, const event_ptrs& evs) {
  route_result res;
  t.route(evs, res);
  received out;
  collect(res, out);
  return out;
}

/// Every seq received by any of `ids`, sorted; fails on a duplicate.
std::vector<uint64_t> union_of(const received& r,
                               const std::vector<std::string>& ids) {
  std::vector<uint64_t> all;
  for (auto& id : ids)
    if (auto i = r.find(id); i != r.end())
      all.insert(all.end(), i->second.begin(), i->second.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
      << "an event reached two members";
  return all;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto s = first; s <= last; ++s)
    out.push_back(s);
  return out;
}

/// The consumer of `gate` takes `n` frames.
void take(queue_gate& gate, size_t n) {
  for (size_t i = 0; i < n; ++i)
    ASSERT_TRUE(gate.try_take());
}

TEST(queue_gate, counts_takes_until_closed) {
  queue_gate g{4};
  EXPECT_EQ(g.capacity(), 4u);
  EXPECT_TRUE(g.try_take());
  EXPECT_TRUE(g.try_take());
  EXPECT_FALSE(g.is_closed());
  EXPECT_EQ(g.close(), 2u);
  EXPECT_TRUE(g.is_closed());
  EXPECT_FALSE(g.try_take()) << "nothing is taken after close";
  EXPECT_EQ(g.taken(), 2u);
  EXPECT_EQ(g.close(), 2u) << "close is idempotent";
}

TEST(routing_table_queue, each_event_to_exactly_one_member_round_robin) {
  routing_table t;
  for (auto id : {"a", "b", "c"})
    ASSERT_FALSE(t.add(member(id), 1));
  EXPECT_EQ(t.group_members("anonymous", "workers"),
            (std::vector<std::string>{"a", "b", "c"}));
  auto r = route(t, make_evs(1, 9));
  EXPECT_EQ(r["a"], (std::vector<uint64_t>{1, 4, 7}));
  EXPECT_EQ(r["b"], (std::vector<uint64_t>{2, 5, 8}));
  EXPECT_EQ(r["c"], (std::vector<uint64_t>{3, 6, 9}));
  // The rotation carries over to the next route call.
  auto r2 = route(t, make_evs(10, 11));
  EXPECT_EQ(r2["a"], (std::vector<uint64_t>{10}));
  EXPECT_EQ(r2["b"], (std::vector<uint64_t>{11}));
}

TEST(routing_table_queue, a_queue_name_is_per_principal) {
  // DESIGN §4: two principals using the same NAME are two groups, so
  // neither can divert the other's events; one principal's replicas (the
  // same user or service token) share the work.
  routing_table t;
  auto as = [](subscription sub, std::string principal) {
    sub.who = runtime::identity{std::move(principal), {}, {"reader"}};
    return sub;
  };
  ASSERT_FALSE(t.add(as(member("alice-1"), "alice"), 1));
  ASSERT_FALSE(t.add(as(member("alice-2"), "alice"), 1));
  ASSERT_FALSE(t.add(as(member("mallory"), "mallory"), 2));
  ASSERT_FALSE(t.add(as(member("svc"), "token/t1"), 3));
  EXPECT_EQ(t.group_count(), 3u);
  EXPECT_EQ(t.group_members("alice", "workers"),
            (std::vector<std::string>{"alice-1", "alice-2"}));
  EXPECT_EQ(t.group_members("mallory", "workers"),
            (std::vector<std::string>{"mallory"}));
  auto r = route(t, make_evs(1, 6));
  EXPECT_EQ(r["mallory"], range(1, 6)) << "a group of its own";
  EXPECT_EQ(r["svc"], range(1, 6));
  EXPECT_EQ(union_of(r, {"alice-1", "alice-2"}), range(1, 6));
  EXPECT_EQ(r["alice-1"].size(), 3u) << "alice's replicas share the work";
}

TEST(routing_table_queue, plain_subscriptions_and_other_groups_get_all) {
  routing_table t;
  ASSERT_FALSE(t.add(member("a"), 1));
  ASSERT_FALSE(t.add(member("b"), 1));
  ASSERT_FALSE(t.add(member("x", ""), 1)); // no queue: a plain subscription
  ASSERT_FALSE(t.add(member("o1", "other"), 1));
  ASSERT_FALSE(t.add(member("o2", "other"), 1));
  EXPECT_EQ(t.group_count(), 2u);
  auto r = route(t, make_evs(1, 6));
  EXPECT_EQ(r["x"], range(1, 6));
  EXPECT_EQ(union_of(r, {"a", "b"}), range(1, 6));
  EXPECT_EQ(union_of(r, {"o1", "o2"}), range(1, 6));
  EXPECT_EQ(r["a"].size(), 3u);
  EXPECT_EQ(r["o1"].size(), 3u);
}

TEST(routing_table_queue, only_matching_members_share_an_event) {
  routing_table t;
  ASSERT_FALSE(t.add(member("orders", "workers", nullptr, "orders.>"), 1));
  ASSERT_FALSE(t.add(member("refunds", "workers", nullptr, "refunds.>"), 1));
  ASSERT_FALSE(t.add(member("all", "workers", nullptr, ">"), 1));
  event_ptrs evs;
  for (uint64_t s = 1; s <= 12; ++s)
    evs.push_back(make_ev(s, s % 3 == 0   ? "orders.x"
                             : s % 3 == 1 ? "refunds.y"
                                          : "other.z"));
  auto r = route(t, evs);
  EXPECT_EQ(union_of(r, {"orders", "refunds", "all"}), range(1, 12));
  for (auto s : r["orders"])
    EXPECT_EQ(s % 3, 0u) << "orders got a non-order event " << s;
  for (auto s : r["refunds"])
    EXPECT_EQ(s % 3, 1u) << "refunds got a non-refund event " << s;
  for (uint64_t s = 2; s <= 12; s += 3) // other.z: only "all" matches
    EXPECT_NE(std::find(r["all"].begin(), r["all"].end(), s), r["all"].end());
  EXPECT_FALSE(r["orders"].empty());
  EXPECT_FALSE(r["refunds"].empty());
}

TEST(routing_table_queue, events_no_member_matches_go_nowhere) {
  routing_table t;
  ASSERT_FALSE(t.add(member("a", "workers", nullptr, "a.*"), 1));
  auto r = route(t, {make_ev(1, "z.z")});
  EXPECT_TRUE(r.empty());
}

TEST(routing_table_queue, members_get_only_events_they_may_see) {
  routing_table t;
  auto bob = member("bob");
  bob.who = runtime::identity{"bob", {"g1"}, {"reader"}};
  auto eve = member("eve");
  eve.who = runtime::identity{"eve", {"g2"}, {"reader"}};
  ASSERT_FALSE(t.add(bob, 1));
  ASSERT_FALSE(t.add(eve, 2));
  event_ptrs evs;
  for (uint64_t s = 1; s <= 6; ++s)
    evs.push_back(make_ev(s, "a.b", {"g1"}));
  evs.push_back(make_ev(7, "a.b", {"g3"})); // nobody may see it
  auto r = route(t, evs);
  EXPECT_EQ(r["bob"], range(1, 6)) << "eve may see none of them";
  EXPECT_TRUE(r["eve"].empty());
}

TEST(routing_table_queue, prefers_members_with_room) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(2);
  auto gb = std::make_shared<queue_gate>(100);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  ASSERT_FALSE(t.add(member("b", "workers", gb), 2));
  // a holds 2 untaken events after seqs 1 and 3: full; the rest go to b.
  auto r = route(t, make_evs(1, 8));
  EXPECT_EQ(r["a"], (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(r["b"], (std::vector<uint64_t>{2, 4, 5, 6, 7, 8}));
  // a's consumer takes one: a has room for one more.
  take(*ga, 1);
  auto r2 = route(t, make_evs(9, 12));
  EXPECT_EQ(r2["a"], (std::vector<uint64_t>{9}));
  EXPECT_EQ(r2["b"], (std::vector<uint64_t>{10, 11, 12}));
}

TEST(routing_table_queue, when_all_are_full_still_exactly_one) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(1);
  auto gb = std::make_shared<queue_gate>(1);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  ASSERT_FALSE(t.add(member("b", "workers", gb), 2));
  auto r = route(t, make_evs(1, 6));
  EXPECT_EQ(union_of(r, {"a", "b"}), range(1, 6));
  EXPECT_EQ(r["a"], (std::vector<uint64_t>{1, 3, 5})) << "round robin";
}

TEST(routing_table_queue, skips_members_whose_consumer_is_gone) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(0);
  auto gb = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  ASSERT_FALSE(t.add(member("b", "workers", gb), 2));
  ga->close(); // a's socket closed; its actor has not left yet
  auto r = route(t, make_evs(1, 4));
  EXPECT_EQ(r["b"], range(1, 4));
  EXPECT_TRUE(r["a"].empty());
}

TEST(routing_table_queue, member_that_leaves_hands_over_what_was_not_taken) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(0);
  auto gb = std::make_shared<queue_gate>(0);
  auto gc = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  ASSERT_FALSE(t.add(member("b", "workers", gb), 2));
  ASSERT_FALSE(t.add(member("c", "workers", gc), 3));
  auto r = route(t, make_evs(1, 9)); // a: 1 4 7
  ASSERT_EQ(r["a"], (std::vector<uint64_t>{1, 4, 7}));
  take(*ga, 1); // 1 reached a's socket; 4 and 7 did not
  route_result handoff;
  ASSERT_TRUE(t.remove("a", &handoff));
  EXPECT_TRUE(ga->is_closed()) << "a takes nothing more";
  received after;
  collect(handoff, after);
  EXPECT_EQ(union_of(after, {"b", "c"}), (std::vector<uint64_t>{4, 7}));
  EXPECT_TRUE(after["a"].empty());
  EXPECT_EQ(t.queue_handed_over(), 2u);
  EXPECT_EQ(t.queue_dropped(), 0u);
  // Delivered overall: a's 1, everything b and c got, the hand-over.
  received all = r;
  all["a"] = {1};
  collect(handoff, all);
  EXPECT_EQ(union_of(all, {"a", "b", "c"}), range(1, 9));
  // Later events go to b and c only.
  auto r2 = route(t, make_evs(10, 13));
  EXPECT_EQ(union_of(r2, {"b", "c"}), range(10, 13));
  EXPECT_FALSE(r2["b"].empty());
  EXPECT_FALSE(r2["c"].empty());
}

TEST(routing_table_queue, hand_over_only_to_members_that_match) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a", "workers", ga, ">"), 1));
  ASSERT_FALSE(t.add(member("b", "workers", nullptr, "x.*"), 2));
  // a gets every y.* event (only it matches) and every other x.* event.
  event_ptrs evs{make_ev(1, "y.y"), make_ev(2, "x.x"), make_ev(3, "x.x"),
                 make_ev(4, "y.y")};
  auto r = route(t, evs);
  ASSERT_EQ(r["a"], (std::vector<uint64_t>{1, 3, 4}));
  ASSERT_EQ(r["b"], (std::vector<uint64_t>{2}));
  route_result handoff;
  ASSERT_TRUE(t.remove("a", &handoff));
  received after;
  collect(handoff, after);
  EXPECT_EQ(after["b"], (std::vector<uint64_t>{3}));
  EXPECT_EQ(t.queue_handed_over(), 1u);
  EXPECT_EQ(t.queue_dropped(), 2u) << "no member left for y.y";
}

TEST(routing_table_queue, last_member_leaving_drops_and_the_group_goes) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  route(t, make_evs(1, 3));
  take(*ga, 1);
  route_result handoff;
  ASSERT_TRUE(t.remove("a", &handoff));
  EXPECT_TRUE(handoff.local.empty());
  EXPECT_EQ(t.queue_dropped(), 2u);
  EXPECT_EQ(t.group_count(), 0u);
  EXPECT_TRUE(t.group_members("anonymous", "workers").empty());
}

TEST(routing_table_queue, member_joining_mid_stream_takes_its_turn) {
  routing_table t;
  ASSERT_FALSE(t.add(member("a"), 1));
  auto r1 = route(t, make_evs(1, 3));
  EXPECT_EQ(r1["a"], range(1, 3));
  ASSERT_FALSE(t.add(member("b"), 2));
  auto r2 = route(t, make_evs(4, 7));
  EXPECT_EQ(union_of(r2, {"a", "b"}), range(4, 7));
  EXPECT_EQ(r2["a"].size(), 2u);
  EXPECT_EQ(r2["b"].size(), 2u);
}

TEST(routing_table_queue, owner_going_down_hands_to_other_owners_only) {
  routing_table t;
  auto g1 = std::make_shared<queue_gate>(0);
  auto g2 = std::make_shared<queue_gate>(0);
  auto g3 = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a1", "workers", g1), 1));
  ASSERT_FALSE(t.add(member("a2", "workers", g2), 1));
  ASSERT_FALSE(t.add(member("b", "workers", g3), 2));
  route(t, make_evs(1, 6)); // a1: 1 4, a2: 2 5, b: 3 6
  route_result handoff;
  auto ids = t.remove_owner(1, &handoff);
  EXPECT_EQ(ids.size(), 2u);
  received after;
  collect(handoff, after);
  EXPECT_EQ(after["b"], (std::vector<uint64_t>{1, 2, 4, 5})) << "seq order";
  EXPECT_EQ(after.size(), 1u);
}

TEST(routing_table_queue, member_without_gate_hands_nothing_back) {
  routing_table t;
  ASSERT_FALSE(t.add(member("a"), 1));
  ASSERT_FALSE(t.add(member("b"), 2));
  route(t, make_evs(1, 4));
  route_result handoff;
  ASSERT_TRUE(t.remove("a", &handoff));
  EXPECT_TRUE(handoff.local.empty());
  EXPECT_EQ(t.queue_handed_over(), 0u);
  EXPECT_EQ(t.queue_dropped(), 0u);
}

TEST(routing_table_queue, replacing_a_member_hands_over_its_events) {
  routing_table t;
  auto ga = std::make_shared<queue_gate>(0);
  ASSERT_FALSE(t.add(member("a", "workers", ga), 1));
  ASSERT_FALSE(t.add(member("b", "workers"), 2));
  route(t, make_evs(1, 4)); // a: 1 3
  route_result handoff;
  ASSERT_FALSE(t.add(member("a", "workers"), 3, &handoff));
  received after;
  collect(handoff, after);
  EXPECT_EQ(union_of(after, {"a", "b"}), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(t.group_members("anonymous", "workers"),
            (std::vector<std::string>{"b", "a"}));
}

} // namespace
} // namespace herald::actors
