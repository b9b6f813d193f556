// The registries' peer codec: every message round-trips; malformed bytes
// and messages that break the protocol's rules are refused with an error.

#include "actors/peer_codec.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "herald/v1/peer.pb.h"
#include "runtime/errc.hpp"

namespace herald::actors {
namespace {

protocol::event_ptr event(const std::string& name, uint64_t seq) {
  v1::Event ev;
  ev.set_id(name + "-" + std::to_string(seq));
  ev.set_name(name);
  ev.set_seq(seq);
  ev.set_node("a");
  ev.set_data_json(R"({"k":1})");
  ev.add_allowed_groups("g1");
  return std::make_shared<const v1::Event>(std::move(ev));
}

peer_message round_trip(const peer_message& msg) {
  auto bytes = encode_peer_message(msg);
  auto back = decode_peer_message(bytes);
  EXPECT_TRUE(back) << caf::to_string(back.error());
  if (!back)
    return {};
  EXPECT_EQ(encode_peer_message(*back), bytes);
  return std::move(*back);
}

void expect_refused(const std::string& bytes, const std::string& why) {
  auto msg = decode_peer_message(bytes);
  ASSERT_FALSE(msg) << why;
  auto e = runtime::describe(msg.error());
  EXPECT_EQ(e.code, runtime::errc::invalid_parameter) << why;
  EXPECT_EQ(e.field, "peer");
  EXPECT_NE(e.message.find(why), std::string::npos) << e.message;
}

void expect_refused(const v1::PeerMessage& m, const std::string& why) {
  expect_refused(m.SerializeAsString(), why);
}

TEST(peer_codec, snapshot_and_delta_round_trip) {
  peer_snapshot snap;
  snap.entries.push_back({"iam.*", 3, {}});
  snap.entries.push_back({">", 1, {"alice", "workers"}});
  auto back = round_trip(snap);
  auto& s = std::get<peer_snapshot>(back);
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].pattern, "iam.*");
  EXPECT_EQ(s.entries[0].count, 3u);
  EXPECT_EQ(s.entries[0].group, peer_group{});
  EXPECT_EQ(s.entries[1].group, (peer_group{"alice", "workers"}));
  EXPECT_TRUE(
      std::get<peer_snapshot>(round_trip(peer_snapshot{})).entries.empty())
      << "no interest is a valid snapshot";

  peer_delta delta;
  delta.added.push_back({"a.b", 1, {}});
  delta.removed.push_back({"c.>", 1, {"", "q"}});
  auto d = std::get<peer_delta>(round_trip(delta));
  ASSERT_EQ(d.added.size(), 1u);
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].group, (peer_group{"", "q"}));
}

TEST(peer_codec, batch_ack_and_loss_round_trip) {
  peer_batch batch;
  batch.batch = 7;
  batch.events = {event("job.run", 3), event("job.done", 9)};
  batch.choices.push_back({1, {"alice", "workers"}});
  auto b = std::get<peer_batch>(round_trip(batch));
  EXPECT_EQ(b.batch, 7u);
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[1]->SerializeAsString(),
            batch.events[1]->SerializeAsString());
  ASSERT_EQ(b.choices.size(), 1u);
  EXPECT_EQ(b.choices[0].event, 1u);
  EXPECT_EQ(b.choices[0].group, (peer_group{"alice", "workers"}));

  auto a = std::get<peer_ack>(round_trip(peer_ack{{1, 2, 5}}));
  EXPECT_EQ(a.batches, (std::vector<uint64_t>{1, 2, 5}));

  peer_loss loss{20, 31, 50, {"x.a", "x.b"}, false};
  auto l = std::get<peer_loss>(round_trip(loss));
  EXPECT_EQ(l.count, 20u);
  EXPECT_EQ(l.first_seq, 31u);
  EXPECT_EQ(l.last_seq, 50u);
  EXPECT_EQ(l.names, (std::vector<std::string>{"x.a", "x.b"}));
  EXPECT_TRUE(
      std::get<peer_loss>(round_trip(peer_loss{1, 2, 2, {}, true})).all_names);
}

TEST(peer_codec, refuses_bytes_that_are_not_a_peer_message) {
  expect_refused(std::string{"\xff\xff\xff\x0f", 4}, "not a PeerMessage");
  expect_refused("", "no body");
  auto batch = encode_peer_message(peer_batch{1, {event("a.b", 1)}, {}});
  expect_refused(batch.substr(0, batch.size() - 2), "not a PeerMessage");
}

TEST(peer_codec, refuses_messages_that_break_the_rules) {
  v1::PeerMessage m;
  auto* e = m.mutable_snapshot()->add_entries();
  e->set_pattern("a..b");
  e->set_count(1);
  expect_refused(m, "invalid pattern");
  e->set_pattern("a.b");
  e->set_count(0);
  expect_refused(m, "interest count 0");
  e->set_count(1);
  e->mutable_group()->set_principal(std::string{"al\0ice", 6});
  e->mutable_group()->set_queue("q");
  expect_refused(m, "principal contains NUL");

  m.Clear();
  m.mutable_delta();
  expect_refused(m, "empty delta");

  m.Clear();
  auto* b = m.mutable_batch();
  b->set_batch(1);
  expect_refused(m, "empty batch");
  *b->add_events() = *event("a.b", 2);
  *b->add_events() = *event("a.b", 2);
  expect_refused(m, "seqs not ascending");
  b->mutable_events(1)->set_seq(3);
  b->mutable_events(1)->set_name("a..b");
  expect_refused(m, "invalid event name");
  b->mutable_events(1)->set_name("a.c");
  b->mutable_events(1)->clear_node();
  expect_refused(m, "event without node");
  b->mutable_events(1)->set_node("a");
  b->mutable_events(0)->set_seq(0);
  expect_refused(m, "seqs not ascending");
  b->mutable_events(0)->set_seq(1);
  b->set_batch(0);
  expect_refused(m, "batch number 0");
  b->set_batch(1);
  auto* c = b->add_choices();
  c->set_event(2);
  c->mutable_group()->set_queue("q");
  expect_refused(m, "choice outside its batch");
  c->set_event(1);
  c->mutable_group()->set_queue("");
  expect_refused(m, "choice without a queue");
  c->mutable_group()->set_queue("q");
  EXPECT_TRUE(decode_peer_message(m.SerializeAsString()));

  m.Clear();
  m.mutable_ack();
  expect_refused(m, "empty ack");
  m.mutable_ack()->add_batches(0);
  expect_refused(m, "ack of batch 0");

  m.Clear();
  auto* l = m.mutable_loss();
  expect_refused(m, "loss of 0 events");
  l->set_count(1);
  l->set_first_seq(5);
  l->set_last_seq(4);
  expect_refused(m, "loss seq range");
  l->set_last_seq(5);
  l->add_names("bad..name");
  expect_refused(m, "invalid name in a loss");
  l->clear_names();
  for (size_t i = 0; i <= peer_loss_max_names; ++i)
    l->add_names("n" + std::to_string(i));
  expect_refused(m, "too many names");
}

} // namespace
} // namespace herald::actors
