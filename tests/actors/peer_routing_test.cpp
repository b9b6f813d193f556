// Cross-node routing between registries (DESIGN §6) over the in-memory peer
// network on the deterministic scheduler: interest snapshots and deltas,
// one batch per peer per route call, filters and visibility on the
// receiving node, cut and heal, the ack window's bounds and loss reports,
// queue groups spread over nodes.

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/cluster/memory_network.hpp"
#include "actors/registry_actor.hpp"
#include "actors/stream_actor.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using actors::event_ptrs;
using actors::subscription;

/// What a probe subscriber received: events (with their node) and gap
/// notices.
struct probe_log {
  std::vector<event_ptrs> batches;
  std::vector<std::string> gaps; ///< "node first-last count"
  /// "node:seq" of every event, in arrival order.
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (auto& b : batches)
      for (auto& ev : b)
        out.push_back(ev->node() + ":" + std::to_string(ev->seq()));
    return out;
  }
};

using strings = std::vector<std::string>;

subscription sub_for(std::string id, std::optional<std::string> name = {}) {
  subscription sub;
  sub.id = std::move(id);
  sub.name = std::move(name);
  sub.who = runtime::identity::anonymous_admin();
  sub.peer_events = true; // as a stream's
  return sub;
}

class peer_routing_test : public actor_fixture {
protected:
  ~peer_routing_test() override {
    for (auto& [id, reg] : registries_)
      caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
    for (auto& p : probes_)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    run();
  }

  /// A node `id` on the network with its registry attached; runs.
  actors::registry_actor join(const std::string& id,
                              actors::peer_window_options window = {}) {
    auto reg = actors::spawn_registry(
        sys(), actors::registry_options{id, net_.add_node(id), window});
    registries_[id] = reg;
    run();
    return reg;
  }

  caf::actor probe(std::shared_ptr<probe_log> log) {
    auto p = sys().spawn([log](caf::event_based_actor*) -> caf::behavior {
      return {
          [log](actors::deliver_atom, const event_ptrs& events) {
            log->batches.push_back(events);
          },
          [log](actors::peer_gap_atom, const std::string& node, uint64_t first,
                uint64_t last, uint64_t count) {
            log->gaps.push_back(node + " " + std::to_string(first) + "-" +
                                std::to_string(last) + " " +
                                std::to_string(count));
          },
      };
    });
    probes_.push_back(p);
    run();
    return p;
  }

  /// Subscribes a fresh probe on `node`; returns its log.
  std::shared_ptr<probe_log> subscribe_probe(const std::string& node,
                                             subscription sub) {
    auto log = std::make_shared<probe_log>();
    auto p = probe(log);
    auto slot = request<uint64_t>(
        registries_.at(node), actors::subscribe_atom::value, std::move(sub),
        caf::actor_cast<protocol::subscriber_actor>(p));
    run();
    EXPECT_TRUE(slot->ok());
    return log;
  }

  void unsubscribe(const std::string& node, const std::string& id) {
    caf::anon_send(registries_.at(node), actors::unsubscribe_atom::value, id);
    run();
  }

  /// Events of `node` as its writer would route them: seqs continue from
  /// the last routed on that node.
  event_ptrs routed(const std::string& node, const strings& names) {
    event_ptrs out;
    for (auto& name : names) {
      auto ev = make_event(name);
      ev.set_seq(++seqs_[node]);
      ev.set_node(node);
      out.push_back(std::make_shared<const v1::Event>(std::move(ev)));
    }
    return out;
  }

  /// Routes `events` on `node` (as its writer does) and runs.
  void route(const std::string& node, event_ptrs events) {
    caf::anon_send(registries_.at(node), actors::route_atom::value,
                   std::move(events));
    run();
  }
  void route(const std::string& node, const strings& names) {
    route(node, routed(node, names));
  }

  actors::registry_stats stats(const std::string& node) {
    auto slot = request<actors::registry_stats>(registries_.at(node),
                                                actors::stats_atom::value);
    run();
    return slot->get();
  }

  uint64_t sent(const std::string& from, const std::string& to) {
    return net_.counters(from, to).sent;
  }

  cluster::memory_network net_{sys()};
  std::map<std::string, actors::registry_actor> registries_;
  std::vector<caf::actor> probes_;
  std::map<std::string, uint64_t> seqs_;
};

TEST_F(peer_routing_test, a_subscriber_on_b_gets_events_routed_on_a_once) {
  join("a");
  join("b");
  EXPECT_EQ(stats("a").peers, 1u);
  EXPECT_EQ(stats("b").peers, 1u);
  auto log = subscribe_probe("b", sub_for("s", "iam.*"));
  route("a", strings{"iam.created", "billing.paid", "iam.deleted"});
  route("a", strings{"iam.renamed"});
  EXPECT_EQ(log->events(), (strings{"a:1", "a:3", "a:4"}));
  auto a = stats("a");
  EXPECT_EQ(a.peer_batches_sent, 2u) << "one batch per route call";
  EXPECT_EQ(a.peer_events_sent, 3u);
  EXPECT_EQ(a.peer_batches_in_flight, 0u) << "b acked both";
  auto b = stats("b");
  EXPECT_EQ(b.peer_batches_received, 2u);
  EXPECT_EQ(b.peer_events_received, 3u);
  EXPECT_EQ(b.last_routed_seq, 0u) << "peer events are not b's seqs";
  EXPECT_EQ(b.routed_events, 0u);
  // b's own events stay on b (a has no interest).
  auto before = sent("b", "a");
  route("b", strings{"iam.created"});
  EXPECT_EQ(log->events().back(), "b:1");
  EXPECT_EQ(sent("b", "a"), before);
}

TEST_F(peer_routing_test, two_matching_subscribers_on_b_share_one_batch) {
  join("a");
  join("b");
  auto one = subscribe_probe("b", sub_for("one", "iam.*"));
  auto all = subscribe_probe("b", sub_for("all"));
  auto before = sent("a", "b");
  route("a", strings{"iam.created", "iam.deleted", "x.y"});
  EXPECT_EQ(sent("a", "b") - before, 1u) << "one link message";
  EXPECT_EQ(stats("a").peer_events_sent, 3u) << "each event once";
  EXPECT_EQ(one->events(), (strings{"a:1", "a:2"}));
  EXPECT_EQ(all->events(), (strings{"a:1", "a:2", "a:3"}));
}

TEST_F(peer_routing_test, nothing_is_sent_to_a_peer_without_interest) {
  join("a");
  join("b");
  join("c");
  auto log = subscribe_probe("c", sub_for("s", "x.*"));
  auto to_b = sent("a", "b");
  auto to_c = sent("a", "c");
  route("a", strings{"x.y", "z.z"});
  EXPECT_EQ(sent("a", "b"), to_b);
  EXPECT_EQ(sent("a", "c") - to_c, 1u);
  EXPECT_EQ(log->events(), (strings{"a:1"}));
}

TEST_F(peer_routing_test, unsubscribe_sends_a_delta_then_nothing_more) {
  join("a");
  join("b");
  auto before = sent("b", "a");
  auto log = subscribe_probe("b", sub_for("s", "x.*"));
  EXPECT_EQ(sent("b", "a") - before, 1u) << "delta: x.* 0 -> 1";
  // A second subscription with the same pattern changes no count.
  auto twin = subscribe_probe("b", sub_for("t", "x.*"));
  EXPECT_EQ(sent("b", "a") - before, 1u);
  unsubscribe("b", "t");
  EXPECT_EQ(sent("b", "a") - before, 1u);
  unsubscribe("b", "s");
  EXPECT_EQ(sent("b", "a") - before, 2u) << "delta: x.* 1 -> 0";
  auto to_b = sent("a", "b");
  route("a", strings{"x.y"});
  EXPECT_EQ(sent("a", "b"), to_b);
  EXPECT_TRUE(log->events().empty());
  EXPECT_TRUE(twin->events().empty());
}

TEST_F(peer_routing_test, subscribers_without_peer_events_stay_local) {
  join("a");
  join("b");
  // Like a trigger or a delivery subscription: a cursor in b's own seqs.
  auto local_sub = sub_for("trigger", "x.*");
  local_sub.peer_events = false;
  auto before = sent("b", "a");
  auto log = subscribe_probe("b", local_sub);
  EXPECT_EQ(sent("b", "a"), before) << "no interest to share";
  auto stream = subscribe_probe("b", sub_for("stream", "x.*"));
  route("a", strings{"x.y"});
  EXPECT_TRUE(log->events().empty());
  EXPECT_EQ(stream->events(), (strings{"a:1"}));
  route("b", strings{"x.y"});
  EXPECT_EQ(log->events(), (strings{"b:1"}));
}

TEST_F(peer_routing_test, a_dead_subscriber_withdraws_its_interest) {
  join("a");
  join("b");
  auto log = std::make_shared<probe_log>();
  auto p = probe(log);
  auto slot = request<uint64_t>(registries_.at("b"),
                                actors::subscribe_atom::value, sub_for("s"),
                                caf::actor_cast<protocol::subscriber_actor>(p));
  run();
  ASSERT_TRUE(slot->ok());
  caf::anon_send_exit(p, caf::exit_reason::kill);
  run();
  auto to_b = sent("a", "b");
  route("a", strings{"x.y"});
  EXPECT_EQ(sent("a", "b"), to_b);
}

TEST_F(peer_routing_test, filters_and_visibility_apply_on_the_receiving_node) {
  join("a");
  join("b");
  auto filtered_sub = sub_for("filtered", "device.*");
  auto filter = runtime::content_filter::parse(R"({"data.state":["on"]})");
  ASSERT_TRUE(filter);
  filtered_sub.filter = *filter;
  auto filtered = subscribe_probe("b", filtered_sub);
  auto member_sub = sub_for("member", "device.*");
  member_sub.who = runtime::identity{"bob", {"g1"}, {"reader"}};
  auto member = subscribe_probe("b", member_sub);
  auto scoped_sub = sub_for("scoped", "device.*");
  scoped_sub.scope = "acme/prod";
  auto scoped = subscribe_probe("b", scoped_sub);

  auto on = make_event("device.changed");
  on.set_data_json(R"({"state":"on"})");
  auto off = make_event("device.changed");
  off.set_data_json(R"({"state":"off"})");
  off.set_scope("acme/prod/eu");
  auto secret = make_event("device.changed");
  secret.add_allowed_groups("g2");
  secret.set_data_json(R"({"state":"on"})");
  event_ptrs events;
  uint64_t seq = 0;
  for (auto* ev : {&on, &off, &secret}) {
    ev->set_seq(++seq);
    ev->set_node("a");
    events.push_back(std::make_shared<const v1::Event>(*ev));
  }
  route("a", events);
  EXPECT_EQ(stats("a").peer_events_sent, 3u) << "a matches names only";
  EXPECT_EQ(filtered->events(), (strings{"a:1", "a:3"}));
  EXPECT_EQ(member->events(), (strings{"a:1", "a:2"}));
  EXPECT_EQ(scoped->events(), (strings{"a:2"}));
}

TEST_F(peer_routing_test, interest_is_sent_again_after_cut_and_heal) {
  join("a");
  join("b");
  auto first = subscribe_probe("b", sub_for("first", "x.*"));
  net_.cut("a", "b");
  run();
  EXPECT_EQ(stats("a").peers, 0u);
  // Changed while the link is down: no delta can arrive.
  auto second = subscribe_probe("b", sub_for("second", "y.*"));
  unsubscribe("b", "first");
  route("a", strings{"x.1", "y.1"});
  EXPECT_TRUE(second->events().empty());
  net_.heal("a", "b");
  run();
  EXPECT_EQ(stats("a").peers, 1u);
  route("a", strings{"x.2", "y.2"});
  EXPECT_EQ(second->events(), (strings{"a:4"})) << "from b's snapshot";
  EXPECT_TRUE(first->events().empty());
  EXPECT_EQ(stats("a").peer_events_sent, 1u);
}

TEST_F(peer_routing_test, the_ack_window_bounds_the_sender_and_reports_loss) {
  actors::peer_window_options window;
  window.max_batches_in_flight = 2;
  window.max_events_in_flight = 100;
  window.max_batch_events = 10;
  window.max_queued_events = 20;
  join("a", window);
  join("b");
  auto gap_sub = sub_for("s", "x.*");
  auto log = subscribe_probe("b", gap_sub);
  auto local_only = sub_for("local_only", "x.*");
  local_only.peer_events = false;
  auto silent = subscribe_probe("b", local_only);
  auto queued_sub = sub_for("q", "x.*");
  queued_sub.queue = "workers";
  auto member = subscribe_probe("b", queued_sub);
  net_.hold("a", "b");
  for (int i = 0; i < 10; ++i)
    route("a", strings{"x.a", "x.b", "x.c", "x.d", "x.e"});
  auto a = stats("a");
  EXPECT_EQ(a.peer_batches_in_flight, 2u);
  EXPECT_EQ(a.peer_events_in_flight, 10u);
  EXPECT_EQ(a.peer_events_queued, 20u);
  EXPECT_EQ(a.peer_events_dropped, 20u) << "seqs 31..50";
  EXPECT_EQ(net_.counters("a", "b").held, 2u) << "only the window is sent";
  EXPECT_TRUE(log->events().empty());
  net_.resume("a", "b");
  run();
  a = stats("a");
  EXPECT_EQ(a.peer_batches_in_flight, 0u);
  EXPECT_EQ(a.peer_events_queued, 0u);
  EXPECT_EQ(a.peer_events_sent, 30u);
  EXPECT_EQ(a.peer_batches_sent, 4u) << "5 + 5, then the queue as 10 + 10";
  EXPECT_EQ(log->events().size(), 30u);
  EXPECT_EQ(log->events().back(), "a:30");
  EXPECT_EQ(log->gaps, (strings{"a 31-50 20"}));
  EXPECT_TRUE(member->gaps.empty());
  EXPECT_TRUE(silent->gaps.empty()) << "it takes no peer events";
  EXPECT_TRUE(silent->events().empty());
  EXPECT_EQ(stats("b").peer_events_lost, 20u);
  // The window is open again: new events go at once.
  route("a", strings{"x.z"});
  EXPECT_EQ(log->events().back(), "a:51");
}

TEST_F(peer_routing_test,
       a_link_down_drops_the_queue_and_the_next_up_starts_fresh) {
  actors::peer_window_options window;
  window.max_batches_in_flight = 1;
  window.max_batch_events = 2;
  join("a", window);
  join("b");
  auto log = subscribe_probe("b", sub_for("s", "x.*"));
  net_.hold("a", "b");
  route("a", strings{"x.1", "x.2", "x.3", "x.4", "x.5"});
  EXPECT_EQ(stats("a").peer_events_queued, 3u);
  net_.cut("a", "b");
  run();
  auto a = stats("a");
  EXPECT_EQ(a.peers, 0u);
  EXPECT_EQ(a.peer_events_queued, 0u);
  EXPECT_EQ(a.peer_batches_in_flight, 0u);
  EXPECT_EQ(a.peer_events_dropped, 3u);
  net_.resume("a", "b");
  net_.heal("a", "b");
  run();
  route("a", strings{"x.6"});
  EXPECT_EQ(log->events(), (strings{"a:6"}))
      << "the held batch died with the link; batch numbers restart";
  EXPECT_EQ(stats("a").peer_batches_in_flight, 0u);
}

TEST_F(peer_routing_test, malformed_payloads_are_counted_and_dropped) {
  auto b = join("b");
  join("a");
  auto log = subscribe_probe("b", sub_for("s"));
  caf::anon_send(b, cluster::link_recv_atom::value, std::string{"a"},
                 std::string{"\xff\xff\xff"});
  caf::anon_send(b, cluster::link_recv_atom::value, std::string{"nobody"},
                 std::string{});
  run();
  EXPECT_EQ(stats("b").peer_rejected, 2u);
  route("a", strings{"x.y"});
  EXPECT_EQ(log->events(), (strings{"a:1"})) << "the link still works";
}

subscription member_of(std::string id, std::string queue,
                       std::string principal = "alice") {
  auto sub = sub_for(std::move(id), "job.*");
  sub.who = runtime::identity{std::move(principal), {}, {"reader"}};
  sub.queue = std::move(queue);
  return sub;
}

/// Every "node:seq" received by `logs`, with how many times.
std::map<std::string, int>
tally(const std::vector<std::shared_ptr<probe_log>>& logs) {
  std::map<std::string, int> out;
  for (auto& log : logs)
    for (auto& e : log->events())
      ++out[e];
  return out;
}

TEST_F(peer_routing_test, a_queue_group_over_two_nodes_gets_each_event_once) {
  join("a");
  join("b");
  auto a1 = subscribe_probe("a", member_of("a1", "workers"));
  auto b1 = subscribe_probe("b", member_of("b1", "workers"));
  auto b2 = subscribe_probe("b", member_of("b2", "workers"));
  // Same queue name, another principal: another group (only on b).
  auto other = subscribe_probe("b", member_of("o1", "workers", "carol"));
  // A plain subscriber on b sees everything, chosen or not.
  auto plain = subscribe_probe("b", sub_for("plain", "job.*"));
  for (int i = 0; i < 4; ++i)
    route("a", strings{"job.run", "job.run", "job.run"});
  route("b", strings{"job.run", "job.run", "job.run", "job.run"});
  auto counts = tally({a1, b1, b2});
  ASSERT_EQ(counts.size(), 16u);
  for (auto& [ev, n] : counts)
    EXPECT_EQ(n, 1) << ev;
  EXPECT_FALSE(a1->events().empty());
  EXPECT_FALSE(b1->events().empty());
  EXPECT_FALSE(b2->events().empty());
  EXPECT_EQ(other->events().size(), 16u) << "carol's group: every event";
  EXPECT_EQ(plain->events().size(), 16u);
  EXPECT_EQ(stats("a").peer_events_sent, 12u)
      << "b has plain interest too: each event once";
}

TEST_F(peer_routing_test, a_queue_group_only_on_peers_gets_each_event_once) {
  join("a");
  join("b");
  join("c");
  auto b1 = subscribe_probe("b", member_of("b1", "workers"));
  auto c1 = subscribe_probe("c", member_of("c1", "workers"));
  auto c2 = subscribe_probe("c", member_of("c2", "workers"));
  for (int i = 0; i < 5; ++i)
    route("a", strings{"job.run", "job.run"});
  auto counts = tally({b1, c1, c2});
  ASSERT_EQ(counts.size(), 10u);
  for (auto& [ev, n] : counts)
    EXPECT_EQ(n, 1) << ev;
  EXPECT_EQ(b1->events().size(), 5u) << "b and c in turn";
  EXPECT_EQ(c1->events().size() + c2->events().size(), 5u);
  EXPECT_EQ(stats("a").peer_events_sent, 10u) << "no peer got one twice";
  // A member leaves c: the group goes on with b and c's other member.
  unsubscribe("c", "c1");
  route("a", strings{"job.run", "job.run"});
  EXPECT_EQ(tally({b1, c1, c2}).size(), 12u);
}

/// Frames a stream's sink holds: "node:seq" of each (from its JSON).
std::vector<std::string> frames(actors::stream_sink& sink) {
  std::vector<std::string> out;
  std::vector<actors::stream_frame> got;
  while (sink.pop(got, 1000)) {
    for (auto& f : got) {
      const std::string& text = *f.text;
      auto node_at = text.find("\"node\":\"");
      auto node = node_at == std::string::npos
                      ? std::string{"?"}
                      : text.substr(node_at + 8,
                                    text.find('"', node_at + 8) - node_at - 8);
      out.push_back(node + ":" + std::to_string(f.seq));
      sink.mark_written();
    }
    got.clear();
  }
  return out;
}

TEST_F(peer_routing_test,
       a_stream_takes_events_of_both_nodes_and_closes_on_loss) {
  actors::peer_window_options window;
  window.max_batches_in_flight = 1;
  window.max_batch_events = 1;
  window.max_queued_events = 0;
  join("a", window);
  actors::node_options opts;
  opts.node_id = "b";
  opts.peer_link = net_.add_node("b");
  auto b = spawn_test_node(opts);
  registries_["b"] = b.registry;
  run();
  auto sink = std::make_shared<actors::stream_sink>();
  actors::stream_spec spec;
  spec.id = "st";
  spec.name = "x.*";
  spec.who = runtime::identity::anonymous_admin();
  auto stream = actors::spawn_stream(sys(), b, spec, sink);
  probes_.push_back(stream);
  run();
  publish(b, {make_event("x.b"), make_event("x.b")});
  route("a", strings{"x.a"});
  route("a", strings{"x.a"});
  publish(b, {make_event("x.b")});
  EXPECT_EQ(frames(*sink), (strings{"b:1", "b:2", "a:1", "a:2", "b:3"}))
      << "a's seqs are not b's: none is taken for a duplicate";
  // a drops one event for b (window full, no queue): the stream closes.
  net_.hold("a", "b");
  route("a", strings{"x.a", "x.a"});
  EXPECT_EQ(stats("a").peer_events_dropped, 1u);
  net_.resume("a", "b");
  run();
  EXPECT_EQ(frames(*sink), (strings{"a:3"}));
  auto closed = sink->closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, 1008);
  EXPECT_EQ(closed->second, "slow_consumer resume_from_seq=4 peer=a lost=4-4");
}

} // namespace
} // namespace herald::test
