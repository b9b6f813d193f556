#include "actors/commit_queue.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace herald::actors {
namespace {

// Tickets and flushes are ints: which request (or flush) is answered.
using queue = commit_queue<int, int>;
using kind = commit_kind;

void push(queue& q, int ticket, size_t events, kind k = kind::batched) {
  ASSERT_EQ(q.admit(events, k), commit_admission::queued) << ticket;
  q.push(ticket, events, k);
}

/// start() refusing the tickets in `refused`, recording what it was asked.
std::vector<int> start(queue& q, std::vector<int> refused = {},
                       std::vector<int>* asked = nullptr) {
  std::vector<int> out;
  for (auto& e : q.start([&](int& t) {
         if (asked)
           asked->push_back(t);
         return std::count(refused.begin(), refused.end(), t) > 0;
       }))
    out.push_back(e.ticket);
  return out;
}

std::vector<int> tickets(const queue::settlement& s) {
  std::vector<int> out;
  for (auto& r : s.replies)
    out.push_back(r.ticket);
  return out;
}

commit_outcome stored(size_t results) {
  return {false, results, {}};
}

using ints = std::vector<int>;

// -- admission
// -----------------------------------------------------------------

TEST(commit_queue, an_empty_write_is_answered_at_once_a_change_is_queued) {
  queue q;
  EXPECT_EQ(q.admit(0, kind::batched), commit_admission::empty);
  EXPECT_EQ(q.admit(0, kind::alone), commit_admission::queued);
  EXPECT_TRUE(q.all_answered());
}

TEST(commit_queue, refuses_what_would_pass_max_queued_not_counting_in_flight) {
  queue q{{8, 3}};
  EXPECT_EQ(q.admit(3, kind::batched), commit_admission::queued);
  EXPECT_EQ(q.admit(4, kind::batched), commit_admission::overloaded);
  push(q, 1, 2);
  EXPECT_EQ(q.queued_events(), 2u);
  EXPECT_EQ(q.admit(1, kind::batched), commit_admission::queued);
  EXPECT_EQ(q.admit(2, kind::batched), commit_admission::overloaded);
  EXPECT_EQ(q.admit(2, kind::alone), commit_admission::overloaded);
  EXPECT_EQ(start(q), ints{1}); // in flight: no longer queued
  EXPECT_EQ(q.queued_events(), 0u);
  EXPECT_EQ(q.in_flight_events(), 2u);
  EXPECT_EQ(q.admit(3, kind::batched), commit_admission::queued);
}

// -- batch composition
// -----------------------------------------------------------

TEST(commit_queue, one_batch_in_flight_the_rest_waits_and_goes_together) {
  queue q{{4, 100}};
  push(q, 1, 1);
  EXPECT_EQ(start(q), ints{1});
  EXPECT_TRUE(q.busy());
  push(q, 2, 2);
  push(q, 3, 1);
  push(q, 4, 1);
  push(q, 5, 1);
  EXPECT_EQ(start(q), ints{}) << "a batch is in flight";
  EXPECT_EQ(q.queued(), 4u);
  EXPECT_EQ(tickets(q.finish(stored(1))), ints{1});
  EXPECT_FALSE(q.busy());
  EXPECT_EQ(start(q), (ints{2, 3, 4})) << "greedy up to max_batch = 4";
  EXPECT_EQ(q.in_flight_events(), 4u);
  EXPECT_EQ(q.queued_events(), 1u);
  q.finish(stored(4));
  EXPECT_EQ(start(q), ints{5});
}

TEST(commit_queue, a_request_larger_than_max_batch_commits_alone_unsplit) {
  queue q{{2, 100}};
  push(q, 1, 5);
  push(q, 2, 1);
  EXPECT_EQ(start(q), ints{1});
  EXPECT_EQ(q.in_flight_events(), 5u);
  q.finish(stored(5));
  push(q, 3, 5);
  EXPECT_EQ(start(q), ints{2}) << "3 does not fit behind 2";
  q.finish(stored(1));
  EXPECT_EQ(start(q), ints{3});
}

TEST(commit_queue, a_change_commits_alone_in_queue_order) {
  queue q;
  push(q, 1, 1);
  push(q, 2, 1, kind::alone);
  push(q, 3, 1);
  push(q, 4, 1);
  push(q, 5, 0, kind::alone);
  push(q, 6, 2, kind::alone);
  push(q, 7, 1);
  std::vector<ints> batches;
  for (auto b = start(q); !b.empty(); b = start(q)) {
    batches.push_back(b);
    q.finish(stored(q.in_flight_events()));
  }
  EXPECT_EQ(batches, (std::vector<ints>{{1}, {2}, {3, 4}, {5}, {6}, {7}}));
}

TEST(commit_queue, a_batched_change_joins_the_batch_even_without_events) {
  queue q{{4, 100}};
  EXPECT_EQ(q.admit(0, kind::batched_change), commit_admission::queued);
  push(q, 1, 1);
  EXPECT_EQ(start(q), ints{1});
  push(q, 2, 1, kind::batched_change);
  push(q, 3, 0, kind::batched_change);
  push(q, 4, 2);
  push(q, 5, 0, kind::alone);
  push(q, 6, 1, kind::batched_change);
  push(q, 7, 1, kind::batched_change);
  push(q, 8, 3, kind::batched_change);
  q.finish(stored(1));
  ints asked;
  EXPECT_EQ(start(q, {}, &asked), (ints{2, 3, 4}));
  EXPECT_EQ(asked, (ints{2, 3, 4})) << "the driver's check sees changes too";
  EXPECT_EQ(q.in_flight_events(), 3u);
  auto done = q.finish(stored(3));
  ASSERT_EQ(done.replies.size(), 3u);
  EXPECT_EQ(done.replies[1].first, 1u);
  EXPECT_EQ(done.replies[1].count, 0u);
  EXPECT_EQ(done.replies[2].first, 1u);
  EXPECT_EQ(start(q), ints{5});
  q.finish(stored(0));
  EXPECT_EQ(start(q), (ints{6, 7})) << "max_batch holds for changes";
  q.finish(stored(2));
  EXPECT_EQ(start(q), ints{8});
}

TEST(commit_queue, a_refused_request_leaves_the_batch_and_frees_its_room) {
  queue q{{2, 100}};
  push(q, 1, 1);
  push(q, 2, 1);
  push(q, 3, 1);
  push(q, 4, 1);
  ints asked;
  EXPECT_EQ(start(q, {2}, &asked), (ints{1, 3}));
  EXPECT_EQ(asked, (ints{1, 2, 3})) << "4 does not fit: not checked yet";
  EXPECT_EQ(q.queued_events(), 1u);
  EXPECT_EQ(q.in_flight_events(), 2u);
  EXPECT_EQ(q.queued(), 1u);
}

TEST(commit_queue, the_check_is_not_asked_about_changes) {
  queue q;
  push(q, 1, 1, kind::alone);
  ints asked;
  EXPECT_EQ(start(q, {1}, &asked), ints{1});
  EXPECT_TRUE(asked.empty());
}

TEST(commit_queue, when_every_request_is_refused_nothing_is_in_flight) {
  queue q;
  push(q, 1, 1);
  push(q, 2, 3);
  q.wait_flush(100);
  EXPECT_EQ(start(q, {1, 2}), ints{});
  EXPECT_FALSE(q.busy());
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_EQ(q.queued_events(), 0u);
  EXPECT_TRUE(q.all_answered());
  EXPECT_EQ(q.due_flushes(), ints{100});
}

TEST(commit_queue, a_refused_request_before_a_change_lets_the_change_go) {
  queue q;
  push(q, 1, 1);
  push(q, 2, 1, kind::alone);
  push(q, 3, 1);
  EXPECT_EQ(start(q, {1}), ints{2});
}

// -- settlement
// ------------------------------------------------------------------

TEST(commit_queue, each_request_gets_its_slice_of_the_results) {
  queue q;
  push(q, 1, 2);
  push(q, 2, 1);
  push(q, 3, 3);
  push(q, 4, 1);
  start(q);
  auto s = q.finish({false, 7, {false, true}});
  EXPECT_FALSE(s.failed);
  EXPECT_EQ(s.events, 7u);
  ASSERT_EQ(tickets(s), (ints{1, 2, 3, 4}));
  using v = commit_verdict;
  std::vector<std::tuple<v, size_t, size_t>> got;
  for (auto& r : s.replies)
    got.emplace_back(r.how, r.first, r.count);
  EXPECT_EQ(got,
            (std::vector<std::tuple<v, size_t, size_t>>{{v::stored, 0, 2},
                                                        {v::refused, 2, 1},
                                                        {v::stored, 3, 3},
                                                        {v::stored, 6, 1}}));
}

TEST(commit_queue, a_failed_append_fails_every_request_of_the_batch) {
  queue q;
  push(q, 1, 1);
  push(q, 2, 1);
  start(q);
  auto s = q.finish({true, 0, {true, false}});
  EXPECT_TRUE(s.failed);
  EXPECT_FALSE(s.short_results);
  ASSERT_EQ(tickets(s), (ints{1, 2}));
  for (auto& r : s.replies)
    EXPECT_EQ(r.how, commit_verdict::failed);
}

TEST(commit_queue, results_that_do_not_match_the_events_fail_the_batch) {
  queue q;
  push(q, 1, 2);
  start(q);
  auto s = q.finish(stored(1));
  EXPECT_TRUE(s.failed);
  EXPECT_TRUE(s.short_results);
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(s.replies[0].how, commit_verdict::failed);
}

TEST(commit_queue, finish_without_a_batch_in_flight_settles_nothing) {
  queue q;
  EXPECT_TRUE(q.finish(stored(0)).replies.empty());
  push(q, 1, 1);
  EXPECT_TRUE(q.finish(stored(1)).replies.empty());
  EXPECT_EQ(q.queued(), 1u);
}

// -- flushes and shutdown
// --------------------------------------------------------

TEST(commit_queue, a_flush_waits_only_for_the_requests_before_it) {
  queue q;
  EXPECT_TRUE(q.all_answered());
  push(q, 1, 1);
  EXPECT_FALSE(q.all_answered());
  start(q);
  q.wait_flush(100);
  push(q, 2, 1);
  q.wait_flush(200);
  EXPECT_EQ(q.due_flushes(), ints{});
  q.finish(stored(1));
  EXPECT_EQ(q.due_flushes(), ints{100});
  EXPECT_EQ(start(q), ints{2});
  EXPECT_EQ(q.due_flushes(), ints{});
  q.finish(stored(1));
  EXPECT_EQ(q.due_flushes(), ints{200});
  EXPECT_TRUE(q.all_answered());
  EXPECT_EQ(q.waiting_flushes(), 0u);
}

TEST(commit_queue, abandon_hands_back_in_flight_then_queued_then_flushes) {
  queue q;
  push(q, 1, 1);
  push(q, 2, 1);
  start(q);
  push(q, 3, 1);
  push(q, 4, 2, kind::alone);
  q.wait_flush(100);
  auto left = q.abandon();
  EXPECT_EQ(left.tickets, (ints{1, 2, 3, 4}));
  EXPECT_EQ(left.flushes, ints{100});
  EXPECT_FALSE(q.busy());
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_EQ(q.queued_events(), 0u);
  EXPECT_TRUE(q.all_answered());
  EXPECT_TRUE(q.finish(stored(2)).replies.empty());
}

} // namespace
} // namespace herald::actors
