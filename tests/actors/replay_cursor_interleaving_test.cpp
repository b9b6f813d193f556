// A replay_cursor in a simulated node, under random schedules with fixed
// seeds: the writer stores and routes events, the registry acknowledges the
// subscription at some point (learning L) and then delivers every matching
// event routed after it, the readers answer replay pages from the store as
// it is when they run, the consumer takes frames at its own pace. Each
// message reaches the stream in any order the node allows (the registry's
// in order). Whatever the schedule, the stream must have sent exactly the
// matching events it asked for, in seq order, each once: all of them once
// it is live, or a prefix up to the resume seq when closed as a slow
// consumer.

#include "actors/replay_cursor.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/replay_sink.hpp"

namespace herald::actors {
namespace {

using test::evs;
using test::replay_sink;
using kind = replay_cursor::step::kind;
using event_ptrs = replay_cursor::event_ptrs;

struct params {
  uint64_t events = 20;         ///< seqs 1..events are published
  double match = 0.7;           ///< share of them the stream matches
  std::optional<uint64_t> from; ///< replay from here (with `replay`)
  bool replay = true;           ///< false: live only
  size_t page_size = 3;         ///< events per replay page
  size_t scan_budget = 5;       ///< seqs one page may examine
  size_t sink = 6;              ///< frames the sink holds
  size_t max_held = 3;
};

class node_sim {
public:
  node_sim(const params& p, std::mt19937& rng)
      : p_(p), rng_(rng), out_(p.sink),
        cursor_({p.from, p.replay, false, p.max_held}, &metrics_) {
    matching_.push_back(false); // seq 0
    std::bernoulli_distribution coin{p.match};
    for (uint64_t s = 1; s <= p.events; ++s)
      matching_.push_back(coin(rng_));
  }

  /// Runs random enabled actions until none is left.
  void run() {
    for (;;) {
      std::vector<std::function<void()>> can;
      if (stored_ < p_.events)
        can.push_back([this] { store(); });
      if (routed_ < stored_)
        can.push_back([this] { route(); });
      if (!subscribed_at_)
        can.push_back([this] { subscribe(); });
      if (!closed_ && !from_registry_.empty())
        can.push_back([this] { take_registry_message(); });
      if (asked_ && !answer_)
        can.push_back([this] { read_page(); });
      if (!closed_ && answer_)
        can.push_back([this] { take_page(); });
      if (out_.depth > 0)
        can.push_back([this] { consume(); });
      if (!closed_ && drained_ > 0)
        can.push_back([this] {
          --drained_;
          apply(cursor_.on_drained(out_));
        });
      if (can.empty() || ::testing::Test::HasFatalFailure())
        return;
      can[pick(can.size())]();
      ASSERT_LE(cursor_.held(), p_.max_held);
    }
  }

  /// The stream sent exactly what it should have.
  void check() const {
    std::vector<uint64_t> want;
    uint64_t first = p_.replay ? p_.from.value_or(1) : *subscribed_at_ + 1;
    for (uint64_t s = first; s <= p_.events; ++s)
      if (matching_[s])
        want.push_back(s);
    if (resume_from_) {
      ASSERT_LT(out_.sent.size(), want.size());
      EXPECT_TRUE(std::equal(out_.sent.begin(), out_.sent.end(), want.begin()))
          << "a prefix, in order";
      EXPECT_EQ(*resume_from_, want[out_.sent.size()]) << "the first not sent";
      return;
    }
    EXPECT_EQ(cursor_.current(), replay_cursor::phase::live);
    EXPECT_EQ(out_.sent, want);
  }

  bool closed() const { return closed_; }
  const stream_metrics& metrics() const { return metrics_; }

private:
  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

  std::vector<uint64_t> matching_in(uint64_t after, uint64_t upto) const {
    std::vector<uint64_t> out;
    for (auto s = after + 1; s <= upto; ++s)
      if (matching_[s])
        out.push_back(s);
    return out;
  }

  // The writer appends a commit; it routes it later.
  void store() { stored_ = std::min(p_.events, stored_ + 1 + pick(3)); }

  // The registry routes what was stored; a subscriber gets what matches.
  void route() {
    auto batch = matching_in(routed_, stored_);
    routed_ = stored_;
    if (subscribed_at_ && !batch.empty())
      from_registry_.push_back(evs(batch));
  }

  // The registry takes the subscription: L = last routed seq.
  void subscribe() {
    subscribed_at_ = routed_;
    from_registry_.push_back(std::nullopt); // the reply
  }

  void take_registry_message() {
    auto msg = std::move(from_registry_.front());
    from_registry_.pop_front();
    apply(msg ? cursor_.on_live(*msg, out_) : cursor_.on_subscribed(out_));
  }

  // A reader runs the query on the store as it is now.
  void read_page() {
    uint64_t s = std::max(asked_->first.value_or(1), asked_->second + 1);
    std::vector<uint64_t> found;
    for (size_t examined = 0; s <= stored_ && found.size() < p_.page_size &&
                              examined < p_.scan_budget;
         ++s, ++examined)
      if (matching_[s])
        found.push_back(s);
    const bool more = s <= stored_;
    answer_ = page{evs(found), more ? s - 1 : stored_, more};
    asked_.reset();
  }

  void take_page() {
    auto pg = std::move(*answer_);
    answer_.reset();
    if (pg.more)
      after_ = pg.last_examined; // the driver keeps the pass's cursor
    apply(
        cursor_.on_page(std::move(pg.events), pg.last_examined, pg.more, out_));
  }

  void consume() {
    if (out_.take(1 + pick(out_.capacity)))
      ++drained_;
  }

  void apply(const replay_cursor::step& s) {
    switch (s.what) {
    case kind::none:
      return;
    case kind::query:
      ASSERT_FALSE(asked_ || answer_) << "one query at a time";
      if (s.new_pass) {
        from_ = s.from_seq;
        after_ = 0;
      }
      asked_ = std::make_pair(from_, after_);
      return;
    case kind::stop:
      FAIL() << "the consumer never leaves here";
    case kind::slow_consumer:
      ASSERT_TRUE(s.resume_from);
      closed_ = true;
      resume_from_ = s.resume_from;
      from_registry_.clear();
      drained_ = 0;
      return;
    }
  }

  struct page {
    event_ptrs events;
    uint64_t last_examined = 0;
    bool more = false;
  };

  params p_;
  std::mt19937& rng_;
  std::vector<bool> matching_; ///< by seq
  uint64_t stored_ = 0;
  uint64_t routed_ = 0;
  std::optional<uint64_t> subscribed_at_;
  std::deque<std::optional<event_ptrs>> from_registry_; ///< nullopt: reply
  std::optional<uint64_t> from_;                        ///< the pass's query
  uint64_t after_ = 0;
  std::optional<std::pair<std::optional<uint64_t>, uint64_t>> asked_;
  std::optional<page> answer_;
  size_t drained_ = 0; ///< drained messages in the mailbox
  replay_sink out_;
  stream_metrics metrics_;
  replay_cursor cursor_;
  bool closed_ = false;
  std::optional<uint64_t> resume_from_;
};

TEST(replay_cursor_interleaving, exactly_once_under_random_schedules) {
  size_t live = 0, cut = 0, overflowed = 0, extra_passes = 0, waited = 0;
  for (unsigned seed = 1; seed <= 2000 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng{seed};
    auto in = [&](size_t lo, size_t hi) {
      return std::uniform_int_distribution<size_t>{lo, hi}(rng);
    };
    params p;
    p.events = in(1, 40);
    p.replay = in(0, 4) != 0;
    if (p.replay && in(0, 3) != 0)
      p.from = in(1, p.events + 2); // else from the start (since)
    p.page_size = in(1, 5);
    p.scan_budget = in(1, 8);
    p.sink = in(1, 10);
    p.max_held = in(1, 6);
    node_sim sim{p, rng};
    sim.run();
    sim.check();
    (sim.closed() ? cut : live) += 1;
    overflowed += sim.metrics().overflows.load() > 0;
    extra_passes += sim.metrics().passes.load() > 1;
    waited += sim.metrics().waits.load() > 0;
  }
  // The schedules must have reached every corner the test is about.
  EXPECT_GT(live, 100u);
  EXPECT_GT(cut, 10u);
  EXPECT_GT(overflowed, 10u);
  EXPECT_GT(extra_passes, 10u);
  EXPECT_GT(waited, 10u);
}

} // namespace
} // namespace herald::actors
