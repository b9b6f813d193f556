// The routing table's cross-node decisions without actors: queue groups
// spread over this node and peers, the choices a peer's delivery carries,
// routing a peer's events to local subscriptions only, gap subscribers.

#include "actors/routing_table.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::actors {
namespace {

event_ptr make_ev(uint64_t seq, std::string name) {
  auto ev = std::make_shared<v1::Event>();
  ev->set_seq(seq);
  ev->set_name(std::move(name));
  return ev;
}

event_ptrs make_evs(uint64_t n, const std::string& name = "job.run") {
  event_ptrs out;
  for (uint64_t seq = 1; seq <= n; ++seq)
    out.push_back(make_ev(seq, name));
  return out;
}

subscription member(std::string id, std::string queue = "workers",
                    std::string principal = "alice") {
  subscription sub;
  sub.id = std::move(id);
  sub.name = "job.*";
  sub.who = runtime::identity{std::move(principal), {}, {"reader"}};
  sub.queue = std::move(queue);
  sub.peer_events = true;
  return sub;
}

const std::string workers = queue_group_key("alice", "workers");

/// seq -> who got it ("local:<sub>" or "<node>"), failing on a repeat.
std::map<uint64_t, std::string>
targets(const routing_table::route_result& res) {
  std::map<uint64_t, std::string> out;
  auto take = [&](uint64_t seq, const std::string& who) {
    EXPECT_TRUE(out.emplace(seq, who).second) << seq << " twice: " << who;
  };
  for (auto& d : res.local)
    for (auto& ev : d.events)
      take(ev->seq(), "local:" + d.subscription_id);
  for (auto& d : res.peers)
    for (auto& [i, gkey] : d.chosen) {
      EXPECT_EQ(gkey, workers);
      take(d.events[i]->seq(), d.node_id);
    }
  return out;
}

TEST(routing_table_peers, a_group_spreads_over_this_node_and_peers_in_turn) {
  routing_table table;
  ASSERT_FALSE(table.add(member("m1"), 1));
  table.add_peer("b");
  table.add_peer("c");
  ASSERT_FALSE(table.add_peer_interest("b", "job.*", workers));
  ASSERT_FALSE(table.add_peer_interest("c", ">", workers));
  ASSERT_FALSE(table.add_peer_interest("c", "job.run", workers));
  routing_table::route_result res;
  table.route(make_evs(6), res);
  auto got = targets(res);
  EXPECT_EQ(got, (std::map<uint64_t, std::string>{{1, "local:m1"},
                                                  {2, "b"},
                                                  {3, "c"},
                                                  {4, "local:m1"},
                                                  {5, "b"},
                                                  {6, "c"}}));
  // c matched twice (two patterns), yet got each event once.
  for (auto& d : res.peers)
    EXPECT_EQ(d.events.size(), 2u) << d.node_id;
}

TEST(routing_table_peers,
     plain_interest_gets_everything_choices_mark_the_group) {
  routing_table table;
  table.add_peer("b");
  ASSERT_FALSE(table.add_peer_interest("b", "job.*"));
  ASSERT_FALSE(table.add_peer_interest("b", "job.*", workers));
  table.add_peer("c");
  ASSERT_FALSE(table.add_peer_interest("c", "job.*", workers));
  routing_table::route_result res;
  table.route(make_evs(4), res);
  ASSERT_EQ(res.peers.size(), 2u);
  auto& b = res.peers[0].node_id == "b" ? res.peers[0] : res.peers[1];
  auto& c = res.peers[0].node_id == "b" ? res.peers[1] : res.peers[0];
  EXPECT_EQ(b.events.size(), 4u) << "plain interest: every event";
  EXPECT_EQ(b.chosen.size(), 2u);
  EXPECT_EQ(c.events.size(), 2u) << "group interest only: the chosen ones";
  EXPECT_EQ(c.chosen.size(), 2u);
  // Removing c's group interest gives b the whole group.
  EXPECT_TRUE(table.remove_peer_interest("c", "job.*", workers));
  EXPECT_FALSE(table.remove_peer_interest("c", "job.*", workers));
  table.route(make_evs(2), res);
  ASSERT_EQ(res.peers.size(), 1u);
  EXPECT_EQ(res.peers[0].chosen.size(), 2u);
}

TEST(routing_table_peers,
     events_from_a_peer_reach_queue_members_only_when_chosen) {
  routing_table table;
  ASSERT_FALSE(table.add(member("m1"), 1));
  ASSERT_FALSE(table.add(member("m2"), 2));
  ASSERT_FALSE(table.add(member("o1", "workers", "carol"), 3));
  subscription plain;
  plain.id = "plain";
  plain.who = runtime::identity::anonymous_admin();
  plain.peer_events = true;
  ASSERT_FALSE(table.add(plain, 4));
  table.add_peer("b");
  ASSERT_FALSE(table.add_peer_interest("b", ">"));
  routing_table::route_result res;
  // Events 1 and 3 were chosen for alice's group, none for carol's.
  table.route_from_peer(make_evs(4), {{workers}, {}, {workers}}, res);
  EXPECT_TRUE(res.peers.empty()) << "never forwarded again";
  std::map<std::string, size_t> got;
  for (auto& d : res.local)
    got[d.subscription_id] += d.events.size();
  EXPECT_EQ(got["plain"], 4u);
  EXPECT_EQ(got["m1"] + got["m2"], 2u);
  EXPECT_EQ(got["o1"], 0u);
  // Chosen for a group no local member matches: dropped and counted.
  auto before = table.queue_dropped();
  table.route_from_peer({make_ev(9, "other.thing")}, {{workers}}, res);
  EXPECT_EQ(table.queue_dropped(), before + 1);
  // Gap notices: plain subscriptions that asked, by name.
  auto gaps = table.gap_subscribers({"job.run"}, false);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].second, "plain");
  EXPECT_EQ(table.gap_subscribers({}, true).size(), 1u);
}

TEST(routing_table_peers, removing_a_peer_forgets_its_group_interest) {
  routing_table table;
  table.add_peer("b");
  ASSERT_FALSE(table.add_peer_interest("b", "job.*", workers));
  EXPECT_TRUE(table.remove_peer("b"));
  table.add_peer("b");
  routing_table::route_result res;
  table.route(make_evs(1), res);
  EXPECT_TRUE(res.peers.empty());
}

} // namespace
} // namespace herald::actors
