// The etcd coordinator against a real etcd on loopback: two nodes of one
// cluster (two coordinators in this process) agree on the members and on
// who owns what; only the owner commits; a stale revision is a conflict; a
// node that leaves is fenced at once and the other owns everything.

#include <chrono>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "actors/cluster/errc.hpp"
#include "actors/cluster/etcd_coordinator.hpp"
#include "actors/cluster/type_ids.hpp"
#include "tests/support/etcd_process.hpp"
#include "tests/support/heraldd_process.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;
using test::wait_for;

class etcd_coordinator_test : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.start()) << etcd_.error();
    sys_.emplace(cfg_);
  }
  void TearDown() override {
    for (auto& c : nodes_)
      caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    nodes_.clear();
  }

  coordinator_actor join(const std::string& id) {
    etcd_coordinator_options o;
    o.cluster = "t";
    o.endpoints = {etcd_.url()};
    o.self = member{id, "127.0.0.1:1", "127.0.0.1:2"};
    auto c = spawn_etcd_coordinator(*sys_, o);
    EXPECT_TRUE(c) << caf::to_string(c.error());
    nodes_.push_back(*c);
    return *c;
  }

  template <class T, class... Ts>
  caf::expected<T> ask(const coordinator_actor& c, Ts&&... xs) {
    caf::scoped_actor self{*sys_};
    caf::expected<T> out{caf::error{}};
    self->request(c, 5s, std::forward<Ts>(xs)...)
        .receive([&](T& x) { out = std::move(x); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  size_t live(const coordinator_actor& c) {
    auto m = ask<membership>(c, members_atom_v);
    return m ? m->members.size() : 0;
  }

  test::etcd_process etcd_;
  caf::actor_system_config cfg_;
  std::optional<caf::actor_system> sys_;
  std::vector<coordinator_actor> nodes_;
};

TEST_F(etcd_coordinator_test, TwoNodesAgreeAndOnlyTheOwnerCommits) {
  auto n1 = join("n1");
  auto n2 = join("n2");
  ASSERT_TRUE(wait_for([&] { return live(n1) == 2 && live(n2) == 2; }, 10s));
  // Find a key each node owns.
  std::string k1, k2;
  for (int i = 0; i < 100 && (k1.empty() || k2.empty()); ++i) {
    auto key = "trigger/t" + std::to_string(i);
    auto o1 = ask<ownership>(n1, owner_atom_v, key);
    auto o2 = ask<ownership>(n2, owner_atom_v, key);
    ASSERT_TRUE(o1 && o2);
    EXPECT_EQ(o1->owner, o2->owner) << key;
    EXPECT_NE(o1->local, o2->local) << key;
    (o1->local ? k1 : k2) = key;
  }
  ASSERT_FALSE(k1.empty());
  ASSERT_FALSE(k2.empty());
  // The owner commits; the other is fenced; a stale revision conflicts.
  auto rev =
      ask<uint64_t>(n1, commit_atom_v, k1, uint64_t{0}, std::string{"fire-1"});
  ASSERT_TRUE(rev) << caf::to_string(rev.error());
  auto other =
      ask<uint64_t>(n2, commit_atom_v, k1, *rev, std::string{"fire-2"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(), errc::fenced);
  auto stale =
      ask<uint64_t>(n1, commit_atom_v, k1, uint64_t{0}, std::string{"fire-2"});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), errc::conflict);
  auto p = ask<progress>(n2, progress_atom_v, k1);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->value, "fire-1");
  EXPECT_EQ(p->revision, *rev);
  auto next = ask<uint64_t>(n1, commit_atom_v, k1, *rev, std::string{"fire-2"});
  ASSERT_TRUE(next);
  EXPECT_GT(*next, *rev);

  // n1 leaves: fenced at once; n2 sees it go and owns k1 now.
  auto left = ask<membership>(n1, leave_atom_v);
  ASSERT_TRUE(left);
  auto after =
      ask<uint64_t>(n1, commit_atom_v, k1, *next, std::string{"fire-3"});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error(), errc::fenced);
  ASSERT_TRUE(wait_for([&] { return live(n2) == 1; }, 5s));
  auto o = ask<ownership>(n2, owner_atom_v, k1);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->local);
  auto taken =
      ask<uint64_t>(n2, commit_atom_v, k1, *next, std::string{"fire-3"});
  EXPECT_TRUE(taken) << caf::to_string(taken.error());
}

TEST_F(etcd_coordinator_test, AWatcherGetsEveryNewView) {
  auto n1 = join("n1");
  ASSERT_TRUE(wait_for([&] { return live(n1) == 1; }, 10s));
  caf::scoped_actor watcher{*sys_};
  auto first = ask<membership>(n1, watch_atom_v,
                               caf::actor_cast<membership_listener>(watcher));
  ASSERT_TRUE(first);
  auto n2 = join("n2");
  bool saw_two = false;
  for (int i = 0; i < 20 && !saw_two; ++i)
    watcher->receive(
        [&](view_atom, const membership& m) {
          saw_two = m.members.size() == 2;
        },
        caf::after(std::chrono::milliseconds(500)) >> [] {});
  EXPECT_TRUE(saw_two);
}

TEST_F(etcd_coordinator_test, CutOffFromEtcdANodeStopsOwningOnItsOwnClock) {
  auto n1 = join("n1");
  ASSERT_TRUE(wait_for([&] { return live(n1) == 1; }, 10s));
  auto o = ask<ownership>(n1, owner_atom_v, std::string{"trigger/x"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->local);
  etcd_.stop(); // etcd gone: no keep-alive succeeds any more
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for(
      [&] {
        auto now = ask<ownership>(n1, owner_atom_v, std::string{"trigger/x"});
        return now && !now->local;
      },
      5s));
  // Within about its lease (2 s, counted from its last keep-alive, which
  // came up to 0.5 s before etcd went), so no later owner overlaps it.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  auto commit = ask<uint64_t>(n1, commit_atom_v, std::string{"trigger/x"},
                              uint64_t{0}, std::string{"fire"});
  ASSERT_FALSE(commit);
  EXPECT_EQ(commit.error(), errc::fenced);
}

TEST_F(etcd_coordinator_test, NoEtcdNoJoin) {
  etcd_coordinator_options o;
  o.cluster = "t";
  o.endpoints = {"http://127.0.0.1:1"};
  o.self = member{"n1", "", ""};
  o.deadline = 300ms;
  auto c = spawn_etcd_coordinator(*sys_, o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::unavailable);
}

} // namespace
} // namespace herald::cluster
