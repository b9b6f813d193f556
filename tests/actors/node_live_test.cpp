// End-to-end on the real scheduler: detached committer and readers, real
// threads, publish_sync in, stream sink out. Waits on conditions with a
// deadline; never sleeps.

#include "actors/node.hpp"

#include <atomic>
#include <set>
#include <thread>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/stream_actor.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

class node_live_test : public live_actor_fixture {
protected:
  /// Pops everything from `sink` into `seqs` (test thread only).
  static void drain(actors::stream_sink& sink, std::vector<uint64_t>& seqs) {
    std::vector<actors::stream_frame> out;
    while (sink.pop(out, 256)) {
      for (auto& f : out) {
        seqs.push_back(f.seq);
        sink.mark_written();
      }
      out.clear();
    }
  }
};

TEST_F(node_live_test, publish_sync_then_stream_replays_and_goes_live) {
  auto node = spawn_live_node();
  for (int i = 0; i < 5; ++i) {
    std::vector<v1::Event> evs;
    for (int j = 0; j < 10; ++j)
      evs.push_back(make_event("live.test"));
    auto res = publish_sync(sys(), node, std::move(evs), 10s);
    ASSERT_TRUE(res) << caf::to_string(res.error());
    ASSERT_EQ(res->size(), 10u);
    EXPECT_EQ(res->back().seq, static_cast<uint64_t>(i * 10 + 10));
  }
  auto sink = std::make_shared<actors::stream_sink>(16);
  sink->set_notify([this] { notify(); });
  actors::stream_spec spec;
  spec.id = "live-1";
  spec.name = "live.*";
  spec.from_seq = 1;
  spec.who = runtime::identity::anonymous_admin();
  auto stream = actors::spawn_stream(sys(), node, spec, sink);
  std::vector<uint64_t> seqs;
  // A small sink: replay must pace itself on this consumer.
  ASSERT_TRUE(wait_for(
      [&] {
        drain(*sink, seqs);
        return seqs.size() >= 50;
      },
      10s));
  for (int i = 0; i < 3; ++i) {
    auto res = publish_sync(sys(), node, {make_event("live.test")}, 10s);
    ASSERT_TRUE(res);
  }
  ASSERT_TRUE(wait_for(
      [&] {
        drain(*sink, seqs);
        return seqs.size() >= 53;
      },
      10s));
  std::vector<uint64_t> expected(53);
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] = i + 1;
  EXPECT_EQ(seqs, expected);
  EXPECT_FALSE(sink->closed());
  auto last = flush_sync(sys(), node, 10s);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 53u);
  caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
  ASSERT_TRUE(wait_for([&] { return sink->closed().has_value(); }, 10s));
}

TEST_F(node_live_test, concurrent_publishers_are_group_committed) {
  auto node = spawn_live_node();
  auto sink = std::make_shared<actors::stream_sink>();
  sink->set_notify([this] { notify(); });
  actors::stream_spec spec;
  spec.id = "live-2";
  spec.from_seq = 1; // replay covers whatever lands before the subscription
  spec.who = runtime::identity::anonymous_admin();
  auto stream = actors::spawn_stream(sys(), node, spec, sink);
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> publishers;
  std::mutex seqs_mtx;
  std::set<uint64_t> acked;
  for (int t = 0; t < threads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto res = publish_sync(sys(), node, {make_event("load.x", id)}, 10s);
        if (!res || res->size() != 1 || (*res)[0].duplicate) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> guard{seqs_mtx};
        acked.insert((*res)[0].seq);
      }
    });
  }
  for (auto& th : publishers)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(acked.size(), static_cast<size_t>(threads * per_thread));
  EXPECT_EQ(*acked.rbegin(), static_cast<uint64_t>(threads * per_thread));
  EXPECT_LE(node.metrics->appends.load(),
            static_cast<uint64_t>(threads * per_thread));
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(wait_for(
      [&] {
        drain(*sink, seqs);
        return seqs.size() >= acked.size();
      },
      10s));
  EXPECT_EQ(std::set<uint64_t>(seqs.begin(), seqs.end()), acked);
  EXPECT_EQ(seqs.size(), acked.size()); // no duplicates
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
}

} // namespace
} // namespace herald::test
