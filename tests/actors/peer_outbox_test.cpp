// The per-peer outbox: batches while the window allows, a bounded queue
// beyond it, drops reported once as a loss, acks reopening the window.

#include "actors/peer_outbox.hpp"

#include <memory>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "actors/routing_table.hpp"

namespace herald::actors {
namespace {

protocol::event_ptrs events(uint64_t first, uint64_t n,
                            const std::string& name = "x.y") {
  protocol::event_ptrs out;
  for (uint64_t seq = first; seq < first + n; ++seq) {
    v1::Event ev;
    ev.set_name(name);
    ev.set_seq(seq);
    out.push_back(std::make_shared<const v1::Event>(std::move(ev)));
  }
  return out;
}

/// "batch N: seqs" / "loss ..." of each message.
std::vector<std::string> describe(const peer_outbox::output& out) {
  std::vector<std::string> lines;
  for (auto& msg : out.send) {
    if (auto* b = std::get_if<peer_batch>(&msg)) {
      auto line = "batch " + std::to_string(b->batch) + ":";
      for (auto& ev : b->events)
        line += " " + std::to_string(ev->seq());
      lines.push_back(line);
    } else if (auto* l = std::get_if<peer_loss>(&msg)) {
      lines.push_back("loss " + std::to_string(l->count) + " " +
                      std::to_string(l->first_seq) + "-" +
                      std::to_string(l->last_seq));
    }
  }
  return lines;
}

using lines = std::vector<std::string>;

TEST(peer_outbox, sends_a_route_calls_events_as_one_batch_within_the_window) {
  peer_outbox box;
  auto out = box.push(events(1, 3), {});
  EXPECT_EQ(describe(out), (lines{"batch 1: 1 2 3"}));
  EXPECT_EQ(out.dropped, 0u);
  EXPECT_EQ(box.batches_in_flight(), 1u);
  EXPECT_EQ(box.events_in_flight(), 3u);
  EXPECT_TRUE(describe(box.ack({1})).empty());
  EXPECT_EQ(box.batches_in_flight(), 0u);
  EXPECT_EQ(describe(box.push(events(4, 1), {})), (lines{"batch 2: 4"}));
}

TEST(peer_outbox, queues_beyond_the_window_and_drains_on_ack) {
  peer_window_options opts;
  opts.max_batches_in_flight = 2;
  opts.max_events_in_flight = 5;
  opts.max_batch_events = 3;
  peer_outbox box{opts};
  EXPECT_EQ(describe(box.push(events(1, 4), {})),
            (lines{"batch 1: 1 2 3", "batch 2: 4"}));
  EXPECT_TRUE(describe(box.push(events(5, 4), {})).empty());
  EXPECT_EQ(box.queued_events(), 4u);
  EXPECT_EQ(describe(box.ack({1})), (lines{"batch 3: 5 6 7"}))
      << "3 events free, 1 batch slot";
  EXPECT_EQ(describe(box.ack({1, 99})), lines{}) << "unknown acks ignored";
  EXPECT_EQ(describe(box.ack({2, 3})), (lines{"batch 4: 8"}));
  EXPECT_EQ(box.queued_events(), 0u);
  EXPECT_EQ(box.events_in_flight(), 1u);
}

TEST(peer_outbox, drops_the_newest_over_its_bounds_and_reports_them_once) {
  peer_window_options opts;
  opts.max_batches_in_flight = 1;
  opts.max_batch_events = 2;
  opts.max_queued_events = 3;
  peer_outbox box{opts};
  auto out = box.push(events(1, 4), {});
  EXPECT_EQ(describe(out), (lines{"batch 1: 1 2"}));
  out = box.push(events(5, 4), {});
  EXPECT_EQ(out.dropped, 3u) << "3..5 queued, 6..8 dropped";
  EXPECT_TRUE(box.loss_pending());
  EXPECT_EQ(box.queued_events(), 3u);
  EXPECT_EQ(describe(box.ack({1})), (lines{"batch 2: 3 4"}));
  EXPECT_EQ(describe(box.ack({2})), (lines{"batch 3: 5"}));
  EXPECT_TRUE(box.loss_pending()) << "the window is full again";
  EXPECT_EQ(describe(box.ack({3})), (lines{"loss 3 6-8"}))
      << "the loss follows what was queued before it";
  EXPECT_FALSE(box.loss_pending());
  EXPECT_EQ(describe(box.push(events(9, 1), {})), (lines{"batch 4: 9"}))
      << "reported once";
}

TEST(peer_outbox, bounds_the_queue_by_bytes_too) {
  peer_window_options opts;
  opts.max_batches_in_flight = 1;
  opts.max_batch_events = 1;
  auto one = events(1, 1);
  opts.max_queued_bytes = one[0]->ByteSizeLong() * 2;
  peer_outbox box{opts};
  auto out = box.push(events(1, 5), {});
  EXPECT_EQ(describe(out), (lines{"batch 1: 1"}));
  EXPECT_EQ(box.queued_events(), 2u);
  EXPECT_EQ(out.dropped, 2u);
}

TEST(peer_outbox, loss_names_are_capped) {
  peer_window_options opts;
  opts.max_batches_in_flight = 1;
  opts.max_batch_events = 1;
  opts.max_queued_events = 0;
  peer_outbox box{opts};
  box.push(events(1, 1), {});
  for (uint64_t i = 0; i < 3; ++i)
    box.push(events(2 + i, 1, "n.a" + std::to_string(i % 2)), {});
  auto out = box.ack({1});
  ASSERT_EQ(out.send.size(), 1u);
  auto& loss = std::get<peer_loss>(out.send[0]);
  EXPECT_EQ(loss.names, (std::vector<std::string>{"n.a0", "n.a1"}));
  EXPECT_FALSE(loss.all_names);
  box.push(events(10, 1), {});
  for (uint64_t i = 0; i <= peer_loss_max_names; ++i)
    box.push(events(11 + i, 1, "m.n" + std::to_string(i)), {});
  out = box.ack({2});
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_TRUE(std::get<peer_loss>(out.send[0]).all_names);
  EXPECT_TRUE(std::get<peer_loss>(out.send[0]).names.empty());
}

TEST(peer_outbox, carries_queue_choices_and_forgets_everything_on_clear) {
  peer_window_options opts;
  opts.max_batches_in_flight = 1;
  opts.max_batch_events = 2;
  peer_outbox box{opts};
  auto out = box.push(events(1, 3), {{1, queue_group_key("alice", "w")},
                                     {2, queue_group_key("bob", "v")}});
  ASSERT_EQ(out.send.size(), 1u);
  auto& b = std::get<peer_batch>(out.send[0]);
  ASSERT_EQ(b.choices.size(), 1u);
  EXPECT_EQ(b.choices[0].event, 1u);
  EXPECT_EQ(b.choices[0].group, (peer_group{"alice", "w"}));
  EXPECT_EQ(box.clear(), 1u) << "the queued event";
  EXPECT_EQ(box.batches_in_flight(), 0u);
  EXPECT_EQ(box.queued_bytes(), 0u);
}

} // namespace
} // namespace herald::actors
