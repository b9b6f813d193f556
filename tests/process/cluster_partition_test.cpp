// A node cut off the network and joined again (issue 12, DESIGN §6): etcd
// and two nodes in this network namespace, bound to this side of a veth
// pair; the third node in a namespace of its own behind the pair's other
// end (tests/support/network_namespace). The third node is the one
// rendezvous hashing gives the test's schedule trigger, so the partition
// cuts off its owner: the trigger moves to the others within the lease, the
// cut-off node commits nothing while cut off (so fires nothing: commit
// first, act after), and after the heal it is up again on every node, takes
// its trigger back, and no instant is fired twice anywhere. Needs root and
// iproute2; skipped with the reason otherwise. Bounded in time; the
// namespace and the pair are removed whatever happens.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "actors/cluster/membership_table.hpp"
#include "runtime/time_format.hpp"
#include "tests/process/cluster_fixture.hpp"
#include "tests/support/network_namespace.hpp"

namespace herald::test {
namespace {

class cluster_partition_test : public cluster_fixture {
protected:
  void SetUp() override {
    std::string why;
    net_ = network_namespace::create(why);
    if (!net_)
      GTEST_SKIP() << "no network namespace for the partition test: " << why;
    ASSERT_NO_FATAL_FAILURE(start_etcd(net_->outer_address()));
  }

  // The nodes go before the namespace does (a namespace with a process in
  // it outlives its name).
  ~cluster_partition_test() override { nodes_.clear(); }

  /// The index (0-2) of the node of n1-n3 that owns `key` when all three
  /// are up: the same rule every node applies.
  static size_t owner_of(const std::string& key) {
    size_t best = 0;
    for (size_t i = 1; i < 3; ++i)
      if (cluster::rendezvous_score("n" + std::to_string(i + 1), key) >
          cluster::rendezvous_score("n" + std::to_string(best + 1), key))
        best = i;
    return best;
  }

  /// Starts n1-n3, node `cut` in the namespace and the others on this
  /// side, and waits until each sees all three up.
  void start_three_with_one_inside(size_t cut) {
    for (size_t i = 0; i < 3; ++i) {
      heraldd_options o;
      if (i == cut) {
        o.host = net_->inner_address();
        o.launcher = net_->launcher();
      } else {
        o.host = net_->outer_address();
      }
      add_node("n" + std::to_string(i + 1), {}, o);
    }
    ASSERT_FALSE(HasFailure());
    // The PID the harness tracks is heraldd's, and it is in the namespace.
    for (size_t i = 0; i < 3; ++i)
      EXPECT_EQ(net_of(node(i).pid()) == net_of(::getpid()), i != cut)
          << "node " << i << " (pid " << node(i).pid() << ")";
    for (size_t i = 0; i < 3; ++i)
      ASSERT_TRUE(wait_for([&] { return sees(i, all_); }, 10s))
          << "node " << i << ": " << api(i).get("/api/v1/nodes").describe();
  }

  /// The network namespace of process `pid` ("net:[inode]").
  static std::string net_of(pid_t pid) {
    std::error_code ec;
    auto link = std::filesystem::read_symlink(
        "/proc/" + std::to_string(pid) + "/ns/net", ec);
    return ec ? "?" + ec.message() : link.string();
  }

  /// The tick.said events of node `i` as (fire instant, stored at), in ns.
  std::vector<std::pair<int64_t, int64_t>> ticks_of(size_t i) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& e : events_of(i, "tick.said")) {
      auto at = runtime::parse_rfc3339(e["data"]["at"].get<std::string>());
      auto stored = runtime::parse_rfc3339(e["time"].get<std::string>());
      EXPECT_TRUE(at && stored) << e.dump();
      if (at && stored)
        out.emplace_back(*at, *stored);
    }
    return out;
  }

  std::unique_ptr<network_namespace> net_;
};

TEST_F(cluster_partition_test, a_cut_off_owner_is_replaced_and_rejoins) {
  const size_t cut = owner_of("trigger/each-second");
  ASSERT_NO_FATAL_FAILURE(start_three_with_one_inside(cut));
  size_t owner = 3;
  ASSERT_NO_FATAL_FAILURE(tick_every_second(owner));
  ASSERT_EQ(owner, cut) << "GET /api/v1/nodes disagrees with the rule";
  ASSERT_TRUE(
      wait_for([&] { return !events_of(cut, "tick.said").empty(); }, 10s));

  // Cut it off. From here until the heal the test does not ask it anything
  // (a request to it would wait out its timeout).
  std::string why;
  ASSERT_TRUE(net_->partition(why)) << why;
  const auto cut_at = std::chrono::steady_clock::now();
  const int64_t cut_wall = runtime::now_unix_ns();
  const size_t taker = next_to_fire(cut);
  ASSERT_LT(taker, 3u) << "no other node fired";
  const auto moved = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - cut_at);
  std::cout << "the trigger fired again on another node " << moved.count()
            << " ms after the partition\n";
  EXPECT_LT(moved, 5s) << "the lease is 2 s";
  std::set<std::string> others;
  for (size_t i = 0; i < 3; ++i)
    if (i != cut)
      others.insert("n" + std::to_string(i + 1));
  for (size_t i = 0; i < 3; ++i) {
    if (i != cut) {
      ASSERT_TRUE(wait_for([&] { return sees(i, others); }, 10s))
          << api(i).get("/api/v1/nodes").describe();
    }
  }
  ASSERT_TRUE(
      wait_for([&] { return events_of(taker, "tick.said").size() >= 3; }, 15s));

  const int64_t heal_wall = runtime::now_unix_ns();
  ASSERT_TRUE(net_->heal(why)) << why;
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(wait_for([&] { return sees(i, all_); }, 15s))
        << "node " << i << " does not see the healed node up: "
        << api(i).get("/api/v1/nodes").describe();
  // It takes its trigger back (rendezvous: it is the owner again) and fires
  // an instant scheduled after the heal: the sentinel that it works again.
  ASSERT_TRUE(wait_for(
      [&] {
        auto ticks = ticks_of(cut);
        return std::any_of(ticks.begin(), ticks.end(),
                           [&](const auto& t) { return t.first > heal_wall; });
      },
      15s))
      << "the healed node does not fire its trigger again";

  // While cut off it could commit nothing, so it ran no fire of an instant
  // due after the cut: any such tick it stored, it stored after the heal.
  for (const auto& [at, stored] : ticks_of(cut)) {
    if (at >= cut_wall) {
      EXPECT_GE(stored, heal_wall)
          << "instant " << runtime::format_rfc3339(at)
          << " fired by the cut-off node at " << runtime::format_rfc3339(stored)
          << ", before the heal";
    }
  }
  // And the cluster goes on firing each instant once.
  EXPECT_GE(fires_go_on_each_once(), 6u);
}

} // namespace
} // namespace herald::test
