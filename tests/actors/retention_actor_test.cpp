// The retention sweeper on the deterministic scheduler: ticks come only
// from advance_time(), ages come from a mock clock.

#include "actors/retention_actor.hpp"

#include <atomic>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "storage/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t day = 86400 * sec;
constexpr int64_t t0 = 1'700'000'000 * sec;

class retention_actor_test : public actor_fixture {
protected:
  ~retention_actor_test() override {
    if (sweeper_)
      caf::anon_send_exit(sweeper_, caf::exit_reason::user_shutdown);
    run();
  }

  /// Appends `n` events named `name` accepted at `accept_ns`.
  void append(const std::string& name, int n, int64_t accept_ns) {
    std::vector<v1::Event> evs;
    for (int i = 0; i < n; ++i)
      evs.push_back(make_event(name));
    ASSERT_TRUE(store().append(evs, "n1", accept_ns));
  }

  size_t count(const std::string& name) {
    storage::event_query q;
    q.name = name;
    q.limit = 1000;
    auto page = store().query(q, runtime::identity::anonymous_admin());
    EXPECT_TRUE(page);
    return page ? page->events.size() : 0;
  }

  actors::retention_options options() {
    actors::retention_options opts;
    opts.policy.rules = {{"progress", day}};
    opts.interval = 1s;
    opts.inline_io = true;
    opts.clock = [this] { return now_.load(); };
    opts.metrics = metrics_;
    return opts;
  }

  actors::retention_actor spawn(actors::retention_options opts) {
    sweeper_ = actors::spawn_retention(sys(), store_ptr(), std::move(opts));
    run();
    return sweeper_;
  }

  std::atomic<int64_t> now_{t0};
  std::shared_ptr<actors::retention_metrics> metrics_ =
      std::make_shared<actors::retention_metrics>();
  actors::retention_actor sweeper_;
};

TEST_F(retention_actor_test, ticks_on_the_interval_and_ages_by_the_clock) {
  append("progress", 5, t0);
  append("job.done", 3, t0);
  spawn(options());
  EXPECT_EQ(metrics_->runs.load(), 0u); // the first tick is one interval out

  // A tick while nothing is old enough deletes nothing.
  EXPECT_EQ(advance_time(1s), 1u);
  run();
  EXPECT_EQ(metrics_->runs.load(), 1u);
  EXPECT_EQ(count("progress"), 5u);

  // The clock moves on, but without a tick nothing happens...
  now_ = t0 + 2 * day;
  run();
  EXPECT_EQ(count("progress"), 5u);
  // ...until the next interval.
  EXPECT_EQ(advance_time(1s), 1u);
  run();
  EXPECT_EQ(count("progress"), 0u);
  EXPECT_EQ(count("job.done"), 3u);
  EXPECT_EQ(metrics_->runs.load(), 2u);
  EXPECT_EQ(metrics_->events_deleted.load(), 5u);
  EXPECT_GT(metrics_->bytes_deleted.load(), 0u);
  EXPECT_EQ(metrics_->last_run_unix_ns.load(), t0 + 2 * day);
  EXPECT_EQ(metrics_->failed_runs.load(), 0u);
}

TEST_F(retention_actor_test, a_tick_over_budget_continues_without_waiting) {
  append("progress", 25, t0);
  auto opts = options();
  opts.chunk_events = 4;
  opts.tick_events = 10;
  now_ = t0 + 2 * day;
  spawn(std::move(opts));
  EXPECT_EQ(advance_time(1s), 1u);
  ASSERT_TRUE(run_actor(sweeper_)); // one tick: at most 10
  EXPECT_EQ(metrics_->events_deleted.load(), 10u);
  EXPECT_EQ(count("progress"), 15u);
  run(); // the follow-up ticks need no time to pass
  EXPECT_EQ(count("progress"), 0u);
  EXPECT_EQ(metrics_->events_deleted.load(), 25u);
  EXPECT_EQ(metrics_->runs.load(), 3u);
}

TEST_F(retention_actor_test, sweep_answers_the_count_and_store_errors) {
  append("progress", 4, t0);
  now_ = t0 + 2 * day;
  auto sweeper = spawn(options());
  auto first = request<uint64_t>(sweeper, actors::sweep_atom::value);
  run();
  EXPECT_EQ(first->get(), 4u);
  ASSERT_FALSE(store().close());
  auto failed = request<uint64_t>(sweeper, actors::sweep_atom::value);
  run();
  ASSERT_TRUE(failed->ready());
  EXPECT_TRUE(failed->error());
  EXPECT_EQ(metrics_->failed_runs.load(), 1u);
  // A failed tick keeps the sweeper alive and ticking.
  EXPECT_EQ(advance_time(1s), 1u);
  run();
  EXPECT_EQ(metrics_->failed_runs.load(), 2u);
  EXPECT_EQ(advance_time(1s), 1u);
}

TEST_F(retention_actor_test, node_runs_a_sweeper_only_for_a_policy) {
  auto plain = spawn_test_node();
  EXPECT_FALSE(plain.retention);
  ASSERT_TRUE(plain.retention_counters);

  actors::node_options opts;
  opts.retention.max_age_ns = day;
  opts.retention_tuning.interval = 1s;
  opts.retention_tuning.clock = [this] { return now_.load(); };
  auto node = spawn_test_node(opts);
  ASSERT_TRUE(node.retention);
  append("job.done", 2, t0);
  now_ = t0 + 2 * day;
  EXPECT_GE(advance_time(1s), 1u);
  run();
  EXPECT_EQ(count("job.done"), 0u);
  EXPECT_EQ(node.retention_counters->events_deleted.load(), 2u);
}

} // namespace
} // namespace herald::test
