#include "actors/replay_cursor.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/replay_sink.hpp"

namespace herald::actors {
namespace {

using test::evs;
using test::replay_sink;
using kind = replay_cursor::step::kind;
using phase = replay_cursor::phase;
using seqs = std::vector<uint64_t>;

replay_cursor::options replay_from(std::optional<uint64_t> from,
                                   size_t max_held = 100) {
  return {from, true, false, max_held};
}

TEST(replay_cursor, live_only_sends_each_new_event_once_in_order) {
  replay_sink out;
  replay_cursor c;
  EXPECT_EQ(c.on_live(evs({1, 2}), out).what, kind::none);
  EXPECT_TRUE(out.sent.empty()) << "held until the subscription is acked";
  EXPECT_EQ(c.on_subscribed(out).what, kind::none);
  EXPECT_EQ(c.current(), phase::live);
  EXPECT_EQ(out.sent, (seqs{1, 2}));
  auto more = evs({3, 4});
  more.insert(more.begin() + 1, nullptr);
  c.on_live(more, out);
  c.on_live(evs({4, 2, 5}), out);
  EXPECT_EQ(out.sent, (seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(c.last_sent(), 5u);
}

TEST(replay_cursor, events_of_other_nodes_skip_the_seq_checks) {
  replay_sink out{4};
  replay_cursor c{replay_from(1)};
  c.on_subscribed(out);
  c.on_page(evs({1, 2}), 2, true, out);
  // Replaying: another node's events (its own seqs) go out at once and
  // leave the local seqs alone.
  EXPECT_EQ(c.on_remote(evs({1}), out).what, kind::none);
  EXPECT_EQ(out.sent, (seqs{1, 2, 1}));
  EXPECT_EQ(c.last_sent(), 2u);
  c.on_page({}, 2, false, out);
  EXPECT_EQ(c.current(), phase::live);
  c.on_remote(evs({2}), out);
  EXPECT_EQ(out.sent, (seqs{1, 2, 1, 2}));
  // Full sink: a slow consumer resuming from the local seqs.
  auto s = c.on_remote(evs({3}), out);
  EXPECT_EQ(s.what, kind::slow_consumer);
  EXPECT_EQ(s.resume_from, 3u);
  EXPECT_EQ(c.on_remote(evs({4}), out).what, kind::none) << "closed";
}

TEST(replay_cursor, replays_page_by_page_from_from_seq_then_goes_live) {
  stream_metrics m;
  replay_sink out;
  replay_cursor c{replay_from(5), &m};
  EXPECT_EQ(c.last_sent(), 4u);
  auto s = c.on_subscribed(out);
  EXPECT_EQ(s.what, kind::query);
  EXPECT_TRUE(s.new_pass);
  EXPECT_EQ(s.from_seq, 5u);
  EXPECT_EQ(c.current(), phase::replaying);
  s = c.on_page(evs({4, 5, 6}), 6, true, out);
  EXPECT_EQ(s.what, kind::query);
  EXPECT_FALSE(s.new_pass) << "the next page of the same pass";
  EXPECT_EQ(out.sent, (seqs{5, 6})) << "4 is below from_seq";
  s = c.on_page(evs({8}), 10, false, out);
  EXPECT_EQ(s.what, kind::none);
  EXPECT_EQ(c.current(), phase::live);
  EXPECT_EQ(out.sent, (seqs{5, 6, 8}));
  c.on_live(evs({10, 11}), out);
  EXPECT_EQ(out.sent, (seqs{5, 6, 8, 11})) << "10 was examined by the replay";
  EXPECT_EQ(m.passes.load(), 1u);
  EXPECT_EQ(m.queries.load(), 2u);
  EXPECT_EQ(m.replayed.load(), 3u);
  EXPECT_EQ(m.live.load(), 1u);
}

TEST(replay_cursor, since_starts_without_from_seq) {
  replay_sink out;
  replay_cursor c{replay_from(std::nullopt)};
  auto s = c.on_subscribed(out);
  EXPECT_EQ(s.what, kind::query);
  EXPECT_FALSE(s.from_seq);
  EXPECT_EQ(c.last_sent(), 0u);
}

TEST(replay_cursor, live_events_during_replay_are_held_and_sent_at_the_seam) {
  stream_metrics m;
  replay_sink out;
  replay_cursor c{replay_from(1), &m};
  c.on_live(evs({3}), out); // before the ack: held as well
  c.on_subscribed(out);
  c.on_live(evs({4, 6}), out);
  EXPECT_EQ(c.held(), 3u);
  EXPECT_TRUE(out.sent.empty());
  c.on_page(evs({1, 3, 4}), 4, false, out);
  EXPECT_EQ(out.sent, (seqs{1, 3, 4, 6})) << "3 and 4 once, from the replay";
  EXPECT_EQ(c.current(), phase::live);
  EXPECT_EQ(c.held(), 0u);
  EXPECT_EQ(m.held.load(), 3u);
}

TEST(replay_cursor, no_query_while_the_page_waits_for_the_consumer) {
  stream_metrics m;
  replay_sink out{4};
  replay_cursor c{replay_from(1), &m};
  c.on_subscribed(out);
  auto s = c.on_page(evs({1, 2, 3, 4, 5}), 5, true, out);
  EXPECT_EQ(s.what, kind::none);
  EXPECT_EQ(out.sent, (seqs{1, 2})) << "paced: at most half full";
  EXPECT_TRUE(c.waiting_drain());
  EXPECT_EQ(c.on_drained(out).what, kind::none) << "nothing was taken";
  EXPECT_EQ(m.waits.load(), 2u);
  ASSERT_TRUE(out.take(2));
  EXPECT_EQ(c.on_drained(out).what, kind::none);
  EXPECT_EQ(out.sent, (seqs{1, 2, 3, 4}));
  ASSERT_TRUE(out.take(2));
  s = c.on_drained(out);
  EXPECT_EQ(s.what, kind::query) << "page pushed: the next one";
  EXPECT_EQ(out.sent, (seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(c.on_page({}, 5, false, out).what, kind::none);
  EXPECT_EQ(c.current(), phase::live);
}

TEST(replay_cursor, overflow_drops_the_held_events_and_replays_past_them) {
  stream_metrics m;
  replay_sink out;
  replay_cursor c{replay_from(1, 2), &m};
  c.on_subscribed(out);
  c.on_live(evs({3, 4}), out);
  c.on_live(evs({5}), out); // third: overflow
  EXPECT_EQ(c.held(), 0u);
  c.on_live(evs({6}), out);
  EXPECT_EQ(c.held(), 0u) << "stays dropped until the replay catches up";
  EXPECT_EQ(m.overflows.load(), 1u);
  // The first pass saw the store up to 2 only.
  auto s = c.on_page(evs({1, 2}), 2, false, out);
  EXPECT_EQ(s.what, kind::query);
  EXPECT_TRUE(s.new_pass);
  EXPECT_EQ(s.from_seq, 3u);
  c.on_live(evs({7}), out); // still overflowed: dropped
  s = c.on_page(evs({3, 4, 5}), 5, true, out);
  EXPECT_EQ(s.what, kind::query);
  EXPECT_FALSE(s.new_pass);
  s = c.on_page(evs({6}), 6, false, out);
  EXPECT_EQ(s.what, kind::query) << "7 was dropped too: another pass";
  EXPECT_EQ(s.from_seq, 7u);
  c.on_live(evs({8}), out);
  EXPECT_EQ(c.on_page(evs({7, 8}), 8, false, out).what, kind::none);
  EXPECT_EQ(c.current(), phase::live);
  EXPECT_EQ(out.sent, (seqs{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(m.passes.load(), 3u);
}

TEST(replay_cursor, a_full_sink_while_live_closes_with_the_resume_seq) {
  replay_sink out{2};
  replay_cursor c;
  c.on_subscribed(out);
  auto s = c.on_live(evs({1, 2, 3, 4}), out);
  EXPECT_EQ(s.what, kind::slow_consumer);
  EXPECT_EQ(s.resume_from, 3u);
  EXPECT_EQ(c.current(), phase::closed);
  out.take(2);
  EXPECT_EQ(c.on_live(evs({5}), out).what, kind::none);
  EXPECT_EQ(out.sent, (seqs{1, 2}));
}

TEST(replay_cursor, a_queue_member_pushes_handed_over_events_and_no_resume) {
  replay_sink out{2};
  replay_cursor c{{std::nullopt, false, true, 10}};
  c.on_subscribed(out);
  c.on_live(evs({5}), out);
  c.on_live(evs({3}), out); // handed over from a member that left
  EXPECT_EQ(out.sent, (seqs{5, 3}));
  auto s = c.on_live(evs({6}), out);
  EXPECT_EQ(s.what, kind::slow_consumer);
  EXPECT_FALSE(s.resume_from);
}

TEST(replay_cursor, a_gone_consumer_stops_the_stream) {
  replay_sink out;
  replay_cursor c{replay_from(1)};
  c.on_subscribed(out);
  out.gone = true;
  EXPECT_EQ(c.on_page(evs({1}), 1, false, out).what, kind::stop);
  EXPECT_EQ(c.current(), phase::closed);
  EXPECT_TRUE(out.sent.empty());
  replay_sink live_out;
  replay_cursor l;
  l.on_subscribed(live_out);
  live_out.gone = true;
  EXPECT_EQ(l.on_live(evs({1}), live_out).what, kind::stop);
}

} // namespace
} // namespace herald::actors
