// Interleavings of arrivals, flushes and commit completions against a
// commit_queue driven as writer_actor drives it (start() after every
// arrival and every completion). A model beside it says what must hold at
// every step: every ticket answered exactly once, requests leaving the
// queue in arrival order, batches within their limits and greedy, a change
// alone, flushes due once everything before them is answered (at the latest
// when the batch in flight then ends), never before.

#include "actors/commit_queue.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::actors {
namespace {

using kind = commit_kind;

struct request {
  size_t events = 1;
  kind k = kind::batched;
  bool refuse = false; ///< the driver's check refuses it (batched only)
};

enum class ending { stored, first_refused, failed, short_results };

class driver {
public:
  explicit driver(commit_limits limits) : q_(limits), limits_(limits) {}

  void arrive(const request& r) {
    const int t = static_cast<int>(reqs_.size());
    reqs_.push_back(r);
    answers_.push_back(0);
    size_t waiting_events = 0;
    for (int w : waiting_)
      waiting_events += reqs_[w].events;
    auto expect = commit_admission::queued;
    if (r.k == kind::batched && r.events == 0)
      expect = commit_admission::empty;
    else if (waiting_events + r.events > limits_.max_queued)
      expect = commit_admission::overloaded;
    ASSERT_EQ(q_.admit(r.events, r.k), expect) << "request " << t;
    if (expect != commit_admission::queued) {
      answer(t); // answered by the driver at once
      check_flushes();
      return;
    }
    q_.push(t, r.events, r.k);
    waiting_.push_back(t);
    start();
  }

  void flush() {
    const int f = flushes_seen_++;
    ASSERT_EQ(q_.all_answered(), answered_before(reqs_.size()));
    if (q_.all_answered())
      return; // answered at once
    q_.wait_flush(f);
    flushes_.push_back({f, reqs_.size()});
  }

  void complete(ending how) {
    ASSERT_TRUE(q_.busy());
    size_t events = 0;
    for (int t : in_flight_)
      events += reqs_[t].events;
    ASSERT_EQ(q_.in_flight_events(), events);
    commit_outcome out{how == ending::failed, events, {}};
    if (how == ending::first_refused)
      out.refused = {true};
    if (how == ending::short_results)
      out.results = events + 1;
    auto s = q_.finish(out);
    const bool failed = how == ending::failed || how == ending::short_results;
    EXPECT_EQ(s.failed, failed);
    EXPECT_EQ(s.short_results, how == ending::short_results);
    ASSERT_EQ(s.replies.size(), in_flight_.size());
    size_t at = 0;
    for (size_t k = 0; k < s.replies.size(); ++k) {
      auto& r = s.replies[k];
      EXPECT_EQ(r.ticket, in_flight_[k]);
      auto want = failed ? commit_verdict::failed
                  : how == ending::first_refused && k == 0
                      ? commit_verdict::refused
                      : commit_verdict::stored;
      EXPECT_EQ(r.how, want);
      EXPECT_EQ(r.first, at);
      EXPECT_EQ(r.count, reqs_[r.ticket].events);
      at += r.count;
      answer(r.ticket);
    }
    in_flight_.clear();
    ++commits_;
    start();
  }

  bool busy() const { return q_.busy(); }
  size_t commits() const { return commits_; }

  /// Once nothing arrives any more and nothing is in flight.
  void check_idle() const {
    EXPECT_FALSE(q_.busy());
    EXPECT_TRUE(waiting_.empty());
    EXPECT_TRUE(flushes_.empty());
    EXPECT_EQ(q_.waiting_flushes(), 0u);
    EXPECT_EQ(q_.queued_events(), 0u);
    for (size_t t = 0; t < answers_.size(); ++t)
      EXPECT_EQ(answers_[t], 1) << "request " << t;
  }

private:
  void answer(int t) {
    EXPECT_EQ(++answers_[t], 1) << "request " << t << " answered twice";
  }

  bool answered_before(size_t n) const {
    return std::all_of(answers_.begin(), answers_.begin() + n,
                       [](int a) { return a > 0; });
  }

  void start() {
    const bool was_busy = q_.busy();
    std::vector<int> refused;
    std::vector<int> taken;
    size_t total = 0;
    for (auto& e : q_.start([&](int& t) {
           EXPECT_EQ(reqs_[t].k, kind::batched);
           if (!reqs_[t].refuse)
             return false;
           refused.push_back(t);
           answer(t);
           return true;
         })) {
      taken.push_back(e.ticket);
      total += e.events;
      EXPECT_EQ(e.events, reqs_[e.ticket].events);
      EXPECT_EQ(e.kind, reqs_[e.ticket].k);
    }
    if (was_busy) {
      EXPECT_TRUE(taken.empty() && refused.empty()) << "two in flight";
      return;
    }
    // What left the queue is its head, in arrival order.
    std::vector<int> left = taken;
    left.insert(left.end(), refused.begin(), refused.end());
    std::sort(left.begin(), left.end());
    ASSERT_LE(left.size(), waiting_.size());
    EXPECT_TRUE(std::equal(left.begin(), left.end(), waiting_.begin()));
    EXPECT_TRUE(std::is_sorted(taken.begin(), taken.end()));
    waiting_.erase(waiting_.begin(),
                   waiting_.begin() + static_cast<ptrdiff_t>(left.size()));
    bool has_alone = false;
    for (int t : taken)
      has_alone |= reqs_[t].k == kind::alone;
    if (has_alone) {
      EXPECT_EQ(taken.size(), 1u) << "a change commits alone";
    }
    if (taken.size() > 1) {
      EXPECT_LE(total, limits_.max_batch);
    }
    if (!taken.empty() && !waiting_.empty()) {
      // Greedy: the batch stopped for a reason.
      auto& next = reqs_[waiting_.front()];
      EXPECT_TRUE(has_alone || next.k == kind::alone ||
                  total + next.events > limits_.max_batch)
          << "request " << waiting_.front() << " was left behind";
    }
    EXPECT_EQ(q_.busy(), !taken.empty());
    if (!q_.busy()) {
      EXPECT_TRUE(waiting_.empty()) << "idle with requests queued";
    }
    in_flight_ = taken;
    check_flushes();
  }

  /// A flush is due only once everything before it is answered, and no
  /// later than the end of the commit in flight then (requests refused by
  /// the check while a batch was composed count as answered with it).
  void check_flushes() {
    auto due = q_.due_flushes();
    std::vector<int> want;
    std::erase_if(flushes_, [&](waiting_flush& f) {
      if (!answered_before(f.before))
        return false;
      if (std::find(due.begin(), due.end(), f.id) != due.end()) {
        want.push_back(f.id);
        return true;
      }
      EXPECT_TRUE(q_.busy()) << "flush " << f.id << " held while idle";
      if (f.answerable_at > commits_)
        f.answerable_at = commits_;
      EXPECT_EQ(f.answerable_at, commits_)
          << "flush " << f.id << " held past the commit it waited for";
      return false;
    });
    EXPECT_EQ(due, want) << "due with requests before it unanswered";
  }

  struct waiting_flush {
    int id = 0;
    size_t before = 0;               ///< requests pushed before it
    size_t answerable_at = SIZE_MAX; ///< commits_ when all were answered
  };

  commit_queue<int, int> q_;
  commit_limits limits_;
  std::vector<request> reqs_; ///< by ticket
  std::vector<int> answers_;  ///< by ticket
  std::deque<int> waiting_;   ///< queued tickets, arrival order
  std::vector<int> in_flight_;
  std::vector<waiting_flush> flushes_;
  int flushes_seen_ = 0;
  size_t commits_ = 0;
};

// A script step: a request, or a flush (nullopt).
using step = std::optional<request>;

/// Every interleaving of the script's arrivals with commit completions
/// (each ending in each way) from `at` on; returns the leaves visited.
size_t enumerate(const driver& d, const std::vector<step>& script, size_t at) {
  if (::testing::Test::HasFailure())
    return 0;
  size_t leaves = 0;
  if (at < script.size()) {
    driver next = d;
    if (script[at])
      next.arrive(*script[at]);
    else
      next.flush();
    leaves += enumerate(next, script, at + 1);
  }
  if (d.busy()) {
    for (auto how : {ending::stored, ending::first_refused, ending::failed,
                     ending::short_results}) {
      driver next = d;
      next.complete(how);
      leaves += enumerate(next, script, at);
    }
  }
  if (at == script.size() && !d.busy()) {
    d.check_idle();
    ++leaves;
  }
  return leaves;
}

TEST(commit_queue_interleaving, every_order_of_arrivals_and_completions) {
  // max_batch 3, max_queued 5: a refused request, an empty one, changes
  // (one empty), a request over max_batch, flushes, and (depending on the
  // order) requests refused as overloaded.
  std::vector<step> script{
      request{2},
      request{1, kind::batched, true},
      request{0},
      request{1, kind::alone},
      std::nullopt,
      request{4},
      request{0, kind::alone},
      request{2},
      std::nullopt,
  };
  driver d{commit_limits{3, 5}};
  auto leaves = enumerate(d, script, 0);
  EXPECT_GT(leaves, 10000u) << "the enumeration must explore";
}

TEST(commit_queue_interleaving, random_schedules_with_fixed_seeds) {
  size_t commits = 0;
  for (unsigned seed = 1; seed <= 300 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng{seed};
    auto pick = [&](size_t n) {
      return std::uniform_int_distribution<size_t>{0, n - 1}(rng);
    };
    commit_limits limits{1 + pick(6), pick(12)};
    driver d{limits};
    for (int i = 0; i < 120 && !HasFailure(); ++i) {
      auto r = pick(10);
      if (r < 5) {
        request req{pick(5), pick(6) == 0 ? kind::alone : kind::batched,
                    pick(4) == 0};
        d.arrive(req);
      } else if (r < 6) {
        d.flush();
      } else if (d.busy()) {
        d.complete(static_cast<ending>(pick(4)));
      }
    }
    while (d.busy() && !HasFailure())
      d.complete(static_cast<ending>(pick(4)));
    d.check_idle();
    commits += d.commits();
  }
  EXPECT_GT(commits, 3000u) << "the schedules must commit";
}

} // namespace
} // namespace herald::actors
