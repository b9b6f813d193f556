// Queue groups end to end through the actors (DESIGN §4 `queue=NAME`), on
// the deterministic test coordinator: stream actors of one group, each with
// a sink whose consumer (the WebSocket session's role) is played by the test.
// Members join mid-stream and leave with events still in their sink or their
// mailbox; the union of what the members' consumers took holds every routed
// event exactly once.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/stream_actor.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using actors::stream_sink;

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto s = first; s <= last; ++s)
    out.push_back(s);
  return out;
}

/// One member: its sink, the seqs its consumer took, its actor.
struct member {
  std::shared_ptr<stream_sink> sink;
  std::vector<uint64_t> seqs;
  caf::actor actor;

  explicit member(size_t max_events = 10000)
      : sink(std::make_shared<stream_sink>(max_events)) {
    // nop
  }

  /// Takes and "writes" up to `max` frames; returns how many.
  size_t drain(size_t max = SIZE_MAX) {
    size_t n = 0;
    std::vector<actors::stream_frame> out;
    while (n < max && sink->pop(out, 1)) {
      for (auto& f : out) {
        seqs.push_back(f.seq);
        sink->mark_written();
        ++n;
      }
      out.clear();
    }
    return n;
  }

  /// The session ends (socket closed): what the HTTP layer does.
  void leave() {
    sink->consumer_gone();
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
};

class queue_group_test : public actor_fixture {
protected:
  void join(const actors::node_handles& node, member& m,
            const std::string& queue = "workers") {
    actors::stream_spec s;
    s.id = "st-" + std::to_string(++streams_);
    s.queue = queue;
    s.who = runtime::identity::anonymous_admin();
    actors::stream_options opts;
    opts.query_timeout = caf::infinite;
    m.actor = actors::spawn_stream(sys(), node, s, m.sink, opts);
    run();
  }

  void publish_n(const actors::node_handles& node, size_t n) {
    std::vector<v1::Event> evs;
    for (size_t i = 0; i < n; ++i)
      evs.push_back(make_event("a.b"));
    publish(node, std::move(evs));
  }

  /// Every seq the members took, sorted; fails on a duplicate.
  static std::vector<uint64_t> union_of(std::vector<member*> members) {
    std::vector<uint64_t> all;
    for (auto* m : members)
      all.insert(all.end(), m->seqs.begin(), m->seqs.end());
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
        << "an event reached two members";
    return all;
  }

  static bool ascending(const std::vector<uint64_t>& seqs) {
    return std::is_sorted(seqs.begin(), seqs.end());
  }

  int streams_ = 0;
};

TEST_F(queue_group_test, each_event_reaches_exactly_one_member) {
  auto node = spawn_test_node();
  member a, b, c, plain;
  join(node, a);
  join(node, b);
  join(node, c);
  join(node, plain, ""); // not in the group: gets every event
  EXPECT_EQ(registry_stats(node).queue_groups, 1u);
  publish_n(node, 30);
  for (auto* m : {&a, &b, &c, &plain})
    m->drain();
  EXPECT_EQ(union_of({&a, &b, &c}), range(1, 30));
  EXPECT_EQ(plain.seqs, range(1, 30));
  for (auto* m : {&a, &b, &c}) {
    EXPECT_EQ(m->seqs.size(), 10u) << "round robin";
    EXPECT_TRUE(ascending(m->seqs));
  }
}

TEST_F(queue_group_test, member_joining_mid_stream_gets_a_share) {
  auto node = spawn_test_node();
  member a, b, c;
  join(node, a);
  join(node, b);
  publish_n(node, 10);
  join(node, c);
  publish_n(node, 12);
  for (auto* m : {&a, &b, &c})
    m->drain();
  EXPECT_EQ(union_of({&a, &b, &c}), range(1, 22));
  EXPECT_EQ(c.seqs.size(), 4u);
  EXPECT_GT(c.seqs.front(), 10u) << "a new member gets no earlier event";
}

TEST_F(queue_group_test, leaving_member_hands_its_undelivered_events_over) {
  auto node = spawn_test_node();
  member a, b, c;
  join(node, a);
  join(node, b);
  join(node, c);
  publish_n(node, 30); // 10 each, all in the sinks
  ASSERT_EQ(a.drain(3), 3u);
  a.leave(); // 7 of a's events never reached its socket
  run();
  EXPECT_TRUE(a.sink->closed());
  publish_n(node, 10);
  for (auto* m : {&b, &c})
    m->drain();
  EXPECT_EQ(a.drain(), 0u) << "a takes nothing after it left";
  EXPECT_EQ(a.seqs.size(), 3u);
  EXPECT_EQ(union_of({&a, &b, &c}), range(1, 40));
  auto stats = registry_stats(node);
  EXPECT_EQ(stats.queue_handed_over, 7u);
  EXPECT_EQ(stats.queue_dropped, 0u);
  EXPECT_GT(b.seqs.size(), 10u);
  EXPECT_GT(c.seqs.size(), 10u);
}

TEST_F(queue_group_test, events_still_in_a_leaving_members_mailbox_go_over) {
  auto node = spawn_test_node();
  member a, b;
  join(node, a);
  join(node, b);
  // Route a batch, but stop as soon as a has its delivery queued.
  auto reply = write(node, [] {
    std::vector<v1::Event> evs;
    for (int i = 0; i < 8; ++i)
      evs.push_back(make_event("a.b"));
    return evs;
  }());
  while (!sched().prioritize(a.actor))
    ASSERT_TRUE(run_once()) << "a never got a delivery";
  a.leave(); // the exit overtakes the queued delivery
  run();
  ASSERT_TRUE(reply->ok());
  b.drain();
  EXPECT_TRUE(a.seqs.empty());
  EXPECT_EQ(a.drain(), 0u);
  EXPECT_EQ(union_of({&b}), range(1, 8)) << "b took a's share, once each";
  // b's own events first, then a's, handed over when a left.
  EXPECT_EQ(b.seqs, (std::vector<uint64_t>{2, 4, 6, 8, 1, 3, 5, 7}));
  EXPECT_EQ(registry_stats(node).queue_handed_over, 4u);
}

TEST_F(queue_group_test, members_leave_and_join_repeatedly) {
  auto node = spawn_test_node();
  std::vector<std::unique_ptr<member>> members;
  std::vector<member*> all;
  auto add = [&] {
    members.push_back(std::make_unique<member>());
    all.push_back(members.back().get());
    join(node, *members.back());
  };
  add();
  add();
  uint64_t published = 0;
  for (int round = 0; round < 6; ++round) {
    publish_n(node, 9);
    published += 9;
    // Everyone takes a little; one member leaves, another joins.
    for (auto& m : members)
      m->drain(2);
    members[round]->leave();
    run();
    add();
  }
  publish_n(node, 9);
  published += 9;
  for (auto& m : members)
    m->drain();
  EXPECT_EQ(union_of(all), range(1, published));
  EXPECT_EQ(registry_stats(node).queue_dropped, 0u);
}

TEST_F(queue_group_test, full_member_is_skipped_while_another_has_room) {
  auto node = spawn_test_node();
  member slow{4}; // holds 3 assigned events at most before it is "full"
  member fast;
  join(node, slow);
  join(node, fast);
  publish_n(node, 20); // nobody reads meanwhile
  EXPECT_FALSE(slow.sink->closed()) << "not cut: the other member had room";
  EXPECT_EQ(slow.sink->depth(), 3u);
  slow.drain();
  fast.drain();
  EXPECT_EQ(slow.seqs.size(), 3u);
  publish_n(node, 4);
  slow.drain();
  fast.drain();
  EXPECT_EQ(slow.seqs.size(), 5u) << "room again: back in the rotation";
  EXPECT_EQ(union_of({&slow, &fast}), range(1, 24));
}

TEST_F(queue_group_test, when_every_member_is_full_they_are_cut) {
  auto node = spawn_test_node();
  member a{4}, b{4};
  join(node, a);
  join(node, b);
  publish_n(node, 10); // each member is assigned 5 and can hold 4
  for (auto* m : {&a, &b}) {
    auto closed = m->sink->closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->first, 1008);
    EXPECT_EQ(closed->second, "slow_consumer");
    EXPECT_EQ(m->drain(), 0u) << "a cut member writes no more events";
  }
  auto stats = registry_stats(node);
  EXPECT_EQ(stats.queue_groups, 0u);
  EXPECT_EQ(stats.queue_dropped, 10u) << "no live member was left";
}

TEST_F(queue_group_test, queue_with_replay_is_refused) {
  auto node = spawn_test_node();
  member m;
  actors::stream_spec s;
  s.id = "replay";
  s.queue = "workers";
  s.from_seq = 1;
  s.who = runtime::identity::anonymous_admin();
  m.actor = actors::spawn_stream(sys(), node, s, m.sink);
  run();
  auto closed = m.sink->closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, 1011);
  EXPECT_EQ(registry_stats(node).queue_groups, 0u);
}

} // namespace
} // namespace herald::test
