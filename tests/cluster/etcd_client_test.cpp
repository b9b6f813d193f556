// The etcd gateway client against a real etcd on loopback (started by the
// test): what the etcd coordinator builds on — keys, prefixes, leases, and a
// commit fenced on the owner's member key.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "actors/cluster/errc.hpp"
#include "actors/cluster/etcd_client.hpp"
#include "tests/support/etcd_process.hpp"
#include "tests/support/heraldd_process.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;

class etcd_client_test : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.start()) << etcd_.error();
    client_.emplace(std::vector<std::string>{etcd_.url()}, 2s);
  }
  etcd_client& etcd() { return *client_; }

  test::etcd_process etcd_;
  std::optional<etcd_client> client_;
};

TEST_F(etcd_client_test, PutGetAndDeleteKeepBytesAsTheyAre) {
  std::string value;
  for (int c = 0; c < 256; ++c)
    value.push_back(static_cast<char>(c));
  auto rev = etcd().put("/herald/t/a", value);
  ASSERT_TRUE(rev) << caf::to_string(rev.error());
  EXPECT_GT(*rev, 0);
  auto got = etcd().get("/herald/t/a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, value);
  EXPECT_EQ((*got)->mod_revision, *rev);
  EXPECT_EQ((*got)->create_revision, *rev);
  EXPECT_EQ((*got)->version, 1);
  auto deleted = etcd().del("/herald/t/a");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1);
  auto gone = etcd().get("/herald/t/a");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_EQ(*etcd().del("/herald/t/a"), 0);
}

TEST_F(etcd_client_test, PrefixReadsInKeyOrderWithTheRevisionSeen) {
  ASSERT_TRUE(etcd().put("/herald/c/members/n2", "b"));
  ASSERT_TRUE(etcd().put("/herald/c/members/n1", "a"));
  ASSERT_TRUE(etcd().put("/herald/c/membersX", "not under the prefix"));
  auto last = etcd().put("/herald/c/other", "x");
  ASSERT_TRUE(last);
  auto page = etcd().get_prefix("/herald/c/members/");
  ASSERT_TRUE(page) << caf::to_string(page.error());
  ASSERT_EQ(page->first.size(), 2u);
  EXPECT_EQ(page->first[0].key, "/herald/c/members/n1");
  EXPECT_EQ(page->first[1].value, "b");
  EXPECT_EQ(page->second, *last);
  EXPECT_EQ(etcd_prefix_end("/a/"), "/a0");
}

TEST_F(etcd_client_test, ACommitFencedOnTheMemberKeyFailsOnceTheLeaseIsGone) {
  auto lease = etcd().grant(2);
  ASSERT_TRUE(lease) << caf::to_string(lease.error());
  const std::string member = "/herald/c/members/n1";
  ASSERT_TRUE(etcd().put(member, R"({"caf":"127.0.0.1:1"})", *lease));
  auto m = etcd().get(member);
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->lease, *lease);
  const auto fence = (*m)->create_revision;
  auto ttl = etcd().keep_alive(*lease);
  ASSERT_TRUE(ttl) << caf::to_string(ttl.error());
  EXPECT_GT(*ttl, 0);

  // progress/<key> goes from revision 0 (absent) to written, fenced.
  auto commit = [&](int64_t expected_mod) {
    return etcd().txn({{member,
                        etcd_compare::target::create_revision,
                        etcd_compare::result::equal,
                        fence,
                        {}},
                       {"/herald/c/progress/t1",
                        etcd_compare::target::mod_revision,
                        etcd_compare::result::equal,
                        expected_mod,
                        {}}},
                      {etcd_op::put("/herald/c/progress/t1", "fire-1")},
                      {etcd_op::get("/herald/c/progress/t1")});
  };
  auto first = commit(0);
  ASSERT_TRUE(first) << caf::to_string(first.error());
  EXPECT_TRUE(first->succeeded);
  // The same expected revision again: a conflict, and the branch read it.
  auto again = commit(0);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->succeeded);
  ASSERT_EQ(again->reads.size(), 1u);
  EXPECT_EQ(again->reads[0].value, "fire-1");
  const auto rev = again->reads[0].mod_revision;
  // The member key's lease ends: the owner is fenced even with the right
  // progress revision.
  ASSERT_FALSE(etcd().revoke(*lease));
  auto fenced = commit(rev);
  ASSERT_TRUE(fenced);
  EXPECT_FALSE(fenced->succeeded);
  auto gone = etcd().get(member);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
}

TEST_F(etcd_client_test, AWatchSeesChangesInOrderAndResumesFromARevision) {
  auto before = etcd().put("/herald/w/a", "0");
  ASSERT_TRUE(before);
  std::mutex mtx;
  std::vector<etcd_event> seen;
  int64_t at = 0;
  std::atomic<bool> stop{false};
  caf::error ended;
  std::thread watcher{[&] {
    etcd_client w{{etcd_.url()}, 2s};
    ended = w.watch_prefix(
        "/herald/w/", *before + 1,
        [&](std::vector<etcd_event> evs, int64_t rev) {
          std::lock_guard guard{mtx};
          for (auto& e : evs)
            seen.push_back(std::move(e));
          at = rev;
        },
        [&] { return stop.load(); }, 30s);
  }};
  ASSERT_TRUE(etcd().put("/herald/w/b", "1"));
  ASSERT_TRUE(etcd().put("/herald/x", "not watched"));
  ASSERT_TRUE(etcd().put("/herald/w/a", "2"));
  auto last = etcd().del("/herald/w/b");
  ASSERT_TRUE(last);
  auto count = [&] {
    std::lock_guard guard{mtx};
    return seen.size();
  };
  EXPECT_TRUE(test::wait_for([&] { return count() >= 3; }, 10s));
  stop = true;
  watcher.join();
  EXPECT_FALSE(ended) << caf::to_string(ended);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kv.key, "/herald/w/b");
  EXPECT_EQ(seen[0].kv.value, "1");
  EXPECT_FALSE(seen[0].deleted);
  EXPECT_EQ(seen[1].kv.key, "/herald/w/a");
  EXPECT_EQ(seen[1].kv.value, "2");
  EXPECT_TRUE(seen[2].deleted);
  EXPECT_EQ(seen[2].kv.key, "/herald/w/b");
  // Resuming after the second change replays only the third.
  std::vector<etcd_event> again;
  auto ended2 = etcd().watch_prefix(
      "/herald/w/", seen[1].kv.mod_revision + 1,
      [&](std::vector<etcd_event> evs, int64_t) {
        for (auto& e : evs)
          again.push_back(std::move(e));
      },
      [&] { return !again.empty(); }, 10s);
  EXPECT_FALSE(ended2);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].deleted);
  EXPECT_EQ(at, seen[2].kv.mod_revision); // where the watcher stands
}

TEST_F(etcd_client_test, ASilentEndpointCostsTheDeadlineThenTheNextAnswers) {
  // A listener that accepts and never answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const auto silent = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));

  etcd_client only_silent{{silent}, 300ms};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = only_silent.put("/k", "v");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::unavailable);
  EXPECT_LT(took, 2s);

  // Silent first, real second: the real one answers within the deadline.
  etcd_client both{{silent, etcd_.url()}, 3s};
  auto ok = both.put("/k", "v");
  EXPECT_TRUE(ok) << caf::to_string(ok.error());
  ::close(fd);
}

} // namespace
} // namespace herald::cluster
