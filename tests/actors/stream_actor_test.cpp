#include "actors/stream_actor.hpp"

#include <numeric>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using actors::stream_options;
using actors::stream_sink;
using actors::stream_spec;

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out(last - first + 1);
  std::iota(out.begin(), out.end(), first);
  return out;
}

/// The WebSocket session's role, played by the test thread.
struct consumer {
  std::shared_ptr<stream_sink> sink;
  std::vector<uint64_t> seqs;
  std::vector<std::string> texts;

  explicit consumer(size_t max_events = 10000, size_t max_bytes = 8u << 20)
      : sink(std::make_shared<stream_sink>(max_events, max_bytes)) {
    // nop
  }

  /// Pops and "writes" everything queued; returns how many frames.
  size_t drain() {
    size_t n = 0;
    std::vector<stream_frame> out;
    while (sink->pop(out, 1000)) {
      for (auto& f : out) {
        seqs.push_back(f.seq);
        texts.push_back(*f.text);
        sink->mark_written();
        ++n;
      }
      out.clear();
    }
    return n;
  }
  using stream_frame = actors::stream_frame;
};

class stream_actor_test : public actor_fixture {
protected:
  stream_spec spec(std::string id = "st") {
    stream_spec out;
    out.id = std::move(id);
    out.who = runtime::identity::anonymous_admin();
    return out;
  }

  caf::actor spawn(const actors::node_handles& node, stream_spec s, consumer& c,
                   stream_options opts = {}) {
    if (!opts.metrics)
      opts.metrics = metrics;
    opts.query_timeout = caf::infinite;
    return actors::spawn_stream(sys(), node, std::move(s), c.sink, opts);
  }

  void publish_n(const actors::node_handles& node, size_t n,
                 const std::string& name = "a.b") {
    std::vector<v1::Event> evs;
    for (size_t i = 0; i < n; ++i)
      evs.push_back(make_event(name));
    publish(node, std::move(evs));
  }

  std::shared_ptr<actors::stream_metrics> metrics =
      std::make_shared<actors::stream_metrics>();
};

TEST_F(stream_actor_test, live_stream_gets_new_events_as_native_json) {
  auto node = spawn_test_node();
  publish_n(node, 2); // before the stream: not sent
  consumer c;
  auto s = spec();
  s.name = "a.*";
  spawn(node, s, c);
  run();
  publish(node, {make_event("a.b", "x1"), make_event("other.b"),
                 make_event("a.c", "x2")});
  c.drain();
  EXPECT_EQ(c.seqs, (std::vector<uint64_t>{3, 5}));
  auto json = nlohmann::json::parse(c.texts[0]);
  EXPECT_EQ(json["id"], "x1");
  EXPECT_EQ(json["name"], "a.b");
  EXPECT_EQ(json["seq"], 3);
  EXPECT_EQ(json["node"], "n1");
  EXPECT_FALSE(c.sink->closed());
}

TEST_F(stream_actor_test, replay_then_live_with_publishes_during_replay) {
  auto node = spawn_test_node();
  publish_n(node, 10);
  consumer c;
  auto s = spec();
  s.from_seq = 1;
  stream_options opts;
  opts.page_size = 3;
  spawn(node, s, c, opts);
  // Interleave: every publish lands between two single steps of whatever
  // actor is next, so some arrive before, during and after the replay.
  for (int i = 0; i < 30; ++i) {
    write(node, {make_event("a.b")});
    run_once();
    run_once();
    if (i % 7 == 0)
      c.drain();
  }
  run();
  c.drain();
  EXPECT_EQ(c.seqs, range(1, 40));
  EXPECT_GT(metrics->held.load(), 0u) << "no publish arrived during replay";
  EXPECT_EQ(metrics->overflows.load(), 0u);
  // And it is live now.
  publish_n(node, 2);
  c.drain();
  EXPECT_EQ(c.seqs, range(1, 42));
  EXPECT_EQ(metrics->live.load(), 2u);
}

TEST_F(stream_actor_test, held_overflow_during_replay_is_still_exactly_once) {
  auto node = spawn_test_node();
  publish_n(node, 6);
  consumer c;
  auto s = spec();
  s.from_seq = 1;
  stream_options opts;
  opts.page_size = 2;
  opts.max_held = 2;
  spawn(node, s, c, opts);
  for (int i = 0; i < 30; ++i) {
    write(node, {make_event("a.b"), make_event("a.b")});
    run_once();
    if (i % 5 == 0)
      c.drain();
  }
  run();
  c.drain();
  EXPECT_EQ(c.seqs, range(1, 66));
  EXPECT_GT(metrics->overflows.load(), 0u);
}

TEST_F(stream_actor_test, overflow_past_the_replayed_snapshot_replays_again) {
  auto node = spawn_test_node();
  publish_n(node, 10);
  consumer c{4}; // replay pushes while fewer than 2 frames are held
  auto s = spec();
  s.from_seq = 1;
  stream_options opts;
  opts.page_size = 100; // one page: the pass ends at seq 10
  opts.max_held = 2;
  spawn(node, s, c, opts);
  run(); // the page is in, 2 frames pushed, the actor waits for room
  EXPECT_EQ(c.sink->depth(), 2u);
  EXPECT_EQ(metrics->passes.load(), 1u);
  publish_n(node, 5); // 11..15 arrive live: 2 held, then overflow
  EXPECT_EQ(metrics->overflows.load(), 1u);
  for (int i = 0; i < 100 && c.seqs.size() < 15; ++i) {
    c.drain();
    run();
  }
  EXPECT_EQ(c.seqs, range(1, 15));
  // The dropped events lay beyond the first pass's snapshot: a second pass
  // read them from the store.
  EXPECT_EQ(metrics->passes.load(), 2u);
  publish_n(node, 1);
  c.drain();
  EXPECT_EQ(c.seqs, range(1, 16));
}

TEST_F(stream_actor_test, replay_waits_for_a_slow_reader_instead_of_failing) {
  auto node = spawn_test_node();
  publish_n(node, 25);
  consumer c{4};
  auto s = spec();
  s.from_seq = 1;
  spawn(node, s, c);
  for (int i = 0; i < 100 && c.seqs.size() < 25; ++i) {
    run();
    // Replay keeps the sink at most half full.
    EXPECT_LE(c.sink->depth(), 2u);
    c.drain();
  }
  EXPECT_EQ(c.seqs, range(1, 25));
  EXPECT_FALSE(c.sink->closed());
  EXPECT_GT(metrics->waits.load(), 0u);
  publish_n(node, 3);
  c.drain();
  EXPECT_EQ(c.seqs, range(1, 28));
}

TEST_F(stream_actor_test, slow_consumer_is_closed_with_resume_seq) {
  auto node = spawn_test_node();
  publish_n(node, 2);
  consumer c{5};
  spawn(node, spec(), c);
  run();
  EXPECT_EQ(registry_stats(node).local_subscriptions, 1u);
  publish_n(node, 8); // seqs 3..10; the sink holds 5
  EXPECT_EQ(c.sink->depth(), 5u);
  auto closed = c.sink->closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, 1008);
  EXPECT_EQ(closed->second, "slow_consumer resume_from_seq=8");
  EXPECT_EQ(registry_stats(node).local_subscriptions, 0u);
  publish_n(node, 5);
  EXPECT_LE(c.sink->depth(), 5u);
  c.drain();
  EXPECT_EQ(c.seqs, range(3, 7));
}

TEST_F(stream_actor_test, slow_consumer_by_bytes) {
  auto node = spawn_test_node();
  consumer c{10000, 600};
  spawn(node, spec(), c);
  run();
  auto big = [](std::string id) {
    auto ev = make_event("a.b", std::move(id));
    ev.set_data_json("\"" + std::string(200, 'x') + "\"");
    return ev;
  };
  publish(node, {big("b1"), big("b2"), big("b3"), big("b4")});
  ASSERT_TRUE(c.sink->closed());
  EXPECT_LE(c.sink->bytes(), 600u);
  auto held = c.sink->depth();
  EXPECT_GE(held, 1u);
  EXPECT_EQ(c.sink->closed()->second,
            "slow_consumer resume_from_seq=" + std::to_string(held + 1));
}

TEST_F(stream_actor_test, replay_from_seq_in_the_middle_and_beyond_the_end) {
  auto node = spawn_test_node();
  publish_n(node, 10);
  consumer mid;
  auto s = spec("mid");
  s.from_seq = 6;
  spawn(node, s, mid);
  consumer beyond;
  auto b = spec("beyond");
  b.from_seq = 15;
  spawn(node, b, beyond);
  run();
  publish_n(node, 6); // 11..16
  mid.drain();
  beyond.drain();
  EXPECT_EQ(mid.seqs, range(6, 16));
  EXPECT_EQ(beyond.seqs, range(15, 16));
}

TEST_F(stream_actor_test, replay_since_time) {
  auto node = spawn_test_node();
  std::vector<v1::Event> evs;
  for (int i = 1; i <= 5; ++i) {
    auto ev = make_event("a.b");
    ev.set_time_ns(int64_t{i} * 1'000'000'000);
    evs.push_back(ev);
  }
  publish(node, evs);
  consumer c;
  auto s = spec();
  s.since_ns = 3'000'000'000;
  spawn(node, s, c);
  run();
  publish_n(node, 1);
  c.drain();
  EXPECT_EQ(c.seqs, range(3, 6));
}

TEST_F(stream_actor_test, replay_and_live_apply_pattern_scope_and_visibility) {
  auto node = spawn_test_node();
  auto mk = [](std::string name, std::string scope, std::string group) {
    auto ev = make_event(name);
    ev.set_scope(scope);
    if (!group.empty())
      ev.add_allowed_groups(group);
    return ev;
  };
  auto batch = [&] {
    return std::vector<v1::Event>{
        mk("iam.user.created", "acme/prod", ""),     // yes
        mk("iam.user.created", "acme/prod", "g2"),   // invisible
        mk("iam.user.created", "acme/dev", ""),      // scope
        mk("iam.group.created", "acme/prod", ""),    // name
        mk("iam.user.deleted", "acme/prod/x", "g1"), // yes
    };
  };
  publish(node, batch()); // 1..5
  consumer c;
  auto s = spec();
  s.name = "iam.user.*";
  s.scope = "acme/prod";
  s.from_seq = 1;
  s.who = runtime::identity{"bob", {"g1"}, {"reader"}};
  spawn(node, s, c);
  run();
  publish(node, batch()); // 6..10
  c.drain();
  EXPECT_EQ(c.seqs, (std::vector<uint64_t>{1, 5, 6, 10}));
}

TEST_F(stream_actor_test, exit_unsubscribes_and_closes_going_away) {
  auto node = spawn_test_node();
  consumer c;
  auto stream = spawn(node, spec(), c);
  run();
  EXPECT_EQ(registry_stats(node).local_subscriptions, 1u);
  caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
  run();
  EXPECT_EQ(registry_stats(node).local_subscriptions, 0u);
  ASSERT_TRUE(c.sink->closed());
  EXPECT_EQ(c.sink->closed()->first, 1001);
  publish_n(node, 1);
  EXPECT_EQ(c.drain(), 0u);
}

TEST_F(stream_actor_test, consumer_gone_during_replay_stops_the_stream) {
  auto node = spawn_test_node();
  publish_n(node, 30);
  consumer c{4};
  auto s = spec();
  s.from_seq = 1;
  spawn(node, s, c);
  run(); // replay fills the sink to half and waits for drained
  EXPECT_EQ(c.sink->depth(), 2u);
  EXPECT_EQ(registry_stats(node).local_subscriptions, 1u);
  c.sink->consumer_gone(); // wakes the producer, which stops
  run();
  EXPECT_EQ(registry_stats(node).local_subscriptions, 0u);
  EXPECT_LT(metrics->queries.load(), 15u); // did not read the whole store
}

// -- the 101 waits for the subscription (issue 8)
// -------------------------------

TEST_F(stream_actor_test, on_subscribed_comes_only_with_the_registry_ack) {
  auto node = spawn_test_node();
  consumer c;
  int calls = 0;
  stream_options opts;
  opts.on_subscribed = [&calls] { ++calls; };
  auto stream = spawn(node, spec(), c, opts);
  ASSERT_TRUE(run_actor(stream)); // starts: the subscribe request is sent
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(run_actor(node.registry)); // the registry subscribes, replies
  EXPECT_EQ(calls, 0) << "signalled before the ack reached the stream";
  ASSERT_TRUE(run_actor(stream)); // the ack
  EXPECT_EQ(calls, 1);
  // From then on, whatever is published reaches the stream.
  publish(node, {make_event("a.b", "after-ack")});
  c.drain();
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(c.texts[0])["id"], "after-ack");
  caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
  run();
  EXPECT_EQ(calls, 1) << "signalled twice";
}

TEST_F(stream_actor_test, on_subscribed_comes_when_the_stream_fails_first) {
  auto node = spawn_test_node();
  consumer c;
  int calls = 0;
  stream_options opts;
  opts.on_subscribed = [&calls] { ++calls; };
  auto s = spec();
  s.queue = "workers";
  s.from_seq = 1; // refused: the stream ends before it subscribes
  spawn(node, s, c, opts);
  run();
  EXPECT_EQ(calls, 1) << "the session would wait for its 101 forever";
  ASSERT_TRUE(c.sink->closed());
  EXPECT_EQ(c.sink->closed()->first, 1011);
}

// -- a change of the caller's groups (issue 8)
// ----------------------------------

TEST_F(stream_actor_test, an_identity_update_applies_to_the_next_event) {
  auto node = spawn_test_node();
  consumer c;
  auto s = spec();
  s.who = runtime::identity{"gus", {"a"}, {"reader"}};
  auto stream = spawn(node, s, c);
  run();
  auto in_group = [](const std::string& id, const std::string& group) {
    auto ev = make_event("a.b", id);
    ev.add_allowed_groups(group);
    return ev;
  };
  publish(node, {in_group("g-1", "g"), in_group("a-1", "a")});
  c.drain();
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(c.texts[0])["id"], "a-1");

  auto updated = request<bool>(stream, actors::identity_atom_v,
                               runtime::identity{"gus", {"g"}, {"reader"}});
  run();
  ASSERT_TRUE(updated->ok());
  EXPECT_TRUE(updated->get());
  publish(node, {in_group("g-2", "g"), in_group("a-2", "a")});
  c.drain();
  ASSERT_EQ(c.texts.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(c.texts[1])["id"], "g-2");

  // Replays query as the new identity too.
  consumer r;
  auto rs = spec("st-replay");
  rs.who = runtime::identity{"gus", {"a"}, {"reader"}};
  rs.from_seq = 1;
  stream_options ro;
  ro.page_size = 1;
  auto replay = spawn(node, rs, r, ro);
  ASSERT_TRUE(run_actor(replay)); // subscribes
  ASSERT_TRUE(run_actor(node.registry));
  auto changed = request<bool>(replay, actors::identity_atom_v,
                               runtime::identity{"gus", {"g"}, {"reader"}});
  run();
  EXPECT_TRUE(changed->get());
  r.drain();
  std::vector<std::string> ids;
  for (const auto& t : r.texts)
    ids.push_back(nlohmann::json::parse(t)["id"]);
  EXPECT_THAT(ids, ::testing::Contains("g-2"));
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("a-2")));
}

} // namespace
} // namespace herald::test
