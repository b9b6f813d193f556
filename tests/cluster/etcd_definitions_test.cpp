// The cluster's definitions in a real etcd on loopback: If-Match against the
// cluster's revision, tombstones, the first node's seed, shared values, the
// watch in revision order, and records that do not parse.

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/cluster/etcd_client.hpp"
#include "actors/cluster/etcd_definitions.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "tests/support/etcd_process.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;

runtime::errc code_of(const caf::error& e) {
  return static_cast<runtime::errc>(e.code());
}

class etcd_definitions_test : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(etcd_.start()) << etcd_.error(); }

  etcd_definitions_options opts(std::string self) const {
    etcd_definitions_options o;
    o.cluster = "t";
    o.endpoints = {etcd_.url()};
    o.self = std::move(self);
    return o;
  }

  test::etcd_process etcd_;
};

TEST_F(etcd_definitions_test, if_match_compares_the_clusters_revision) {
  etcd_definitions n1{opts("n1")};
  etcd_definitions n2{opts("n2")};
  auto a = n1.propose("config/db", std::string{"1"}, uint64_t{0}, {});
  ASSERT_TRUE(a) << caf::to_string(a.error());
  EXPECT_GT(a->revision, 0u);
  EXPECT_EQ(a->version, a->revision);
  // "must not exist" fails on another node too.
  auto again = n2.propose("config/db", std::string{"x"}, uint64_t{0}, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), runtime::errc::conflict);
  EXPECT_EQ(runtime::describe(again.error()).field, "If-Match");
  auto b = n2.propose("config/db", std::string{"2"}, a->version, {});
  ASSERT_TRUE(b);
  EXPECT_GT(b->version, a->version);
  auto stale = n1.propose("config/db", std::string{"3"}, a->version, {});
  ASSERT_FALSE(stale);
  EXPECT_EQ(code_of(stale.error()), runtime::errc::conflict);
  // Unconditional puts always go.
  ASSERT_TRUE(n1.propose("config/db", std::string{"4"}, std::nullopt, {}));
}

TEST_F(etcd_definitions_test, a_delete_is_a_tombstone_with_its_events) {
  etcd_definitions n1{opts("n1")};
  auto missing = n1.propose("user/bob", std::nullopt, std::nullopt, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), runtime::errc::not_found);
  auto put = n1.propose("user/bob", std::string{"{}"}, std::nullopt, {});
  ASSERT_TRUE(put);
  std::vector<v1::Event> evs{runtime::make_system_event(
      "auth.user.deleted", {{"username", "bob"}}, 1)};
  auto del = n1.propose("user/bob", std::nullopt, put->version, evs);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->version, put->version) << "the deleted version";
  EXPECT_GT(del->revision, put->revision);
  auto twice = n1.propose("user/bob", std::nullopt, std::nullopt, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(code_of(twice.error()), runtime::errc::not_found);
  // A deleted key can be created again with "must not exist".
  ASSERT_TRUE(n1.propose("user/bob", std::string{"{}"}, uint64_t{0}, {}));
  auto snap = n1.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->first.size(), 1u);
  EXPECT_TRUE(snap->first[0].value);
}

TEST_F(etcd_definitions_test, the_watch_hands_over_changes_in_revision_order) {
  etcd_definitions n1{opts("n1")};
  etcd_definitions n2{opts("n2")};
  auto snap = n2.snapshot();
  ASSERT_TRUE(snap);
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<replicated_definition> seen;
  n2.watch(snap->second + 1, [&](std::vector<replicated_definition> r) {
    std::lock_guard guard{mtx};
    for (auto& x : r)
      seen.push_back(std::move(x));
    cv.notify_all();
  });
  std::vector<v1::Event> evs{
      runtime::make_system_event("config-updated", {{"id", "a"}}, 7)};
  const auto ev_id = evs[0].id();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(n1.propose("config/k" + std::to_string(i % 3),
                           std::to_string(i), std::nullopt,
                           i == 0 ? evs : std::vector<v1::Event>{}));
  ASSERT_TRUE(n1.propose("config/k0", std::nullopt, std::nullopt, {}));
  std::unique_lock guard{mtx};
  ASSERT_TRUE(cv.wait_for(guard, 10s, [&] { return seen.size() == 21; }))
      << seen.size();
  for (size_t i = 1; i < seen.size(); ++i)
    EXPECT_LT(seen[i - 1].revision, seen[i].revision);
  EXPECT_EQ(seen[0].by, "n1");
  ASSERT_EQ(seen[0].events.size(), 1u);
  EXPECT_EQ(seen[0].events[0].id(), ev_id) << "the event travels whole";
  EXPECT_EQ(seen[19].value, "19");
  EXPECT_FALSE(seen[20].value) << "the delete is a tombstone";
}

TEST_F(etcd_definitions_test, the_first_node_seeds_the_cluster_once) {
  etcd_definitions n1{opts("n1")};
  etcd_definitions n2{opts("n2")};
  std::vector<replicated_definition> mine{
      {"config/a", std::string{"1"}, 1, "n1", {}},
      {"user/root", std::string{"{}"}, 3, "n1", {}}};
  auto first = n1.seed(mine);
  ASSERT_TRUE(first) << caf::to_string(first.error());
  EXPECT_TRUE(*first);
  auto second = n2.seed({{"config/b", std::string{"2"}, 1, "n2", {}}});
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto snap = n2.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->first.size(), 2u);
  EXPECT_EQ(snap->first[0].key, "config/a");
  EXPECT_EQ(snap->first[1].key, "user/root");
}

TEST_F(etcd_definitions_test, a_shared_value_is_the_first_nodes) {
  auto a = shared_cluster_value(opts("n1"), "jwt-key", "key-of-n1");
  ASSERT_TRUE(a) << caf::to_string(a.error());
  EXPECT_EQ(*a, "key-of-n1");
  auto b = shared_cluster_value(opts("n2"), "jwt-key", "key-of-n2");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, "key-of-n1");
}

TEST(definition_record, malformed_records_are_refused_not_thrown) {
  for (std::string bad :
       {"", "[]", "{\"value\":1}", "{\"by\":[]}", "{\"events\":{}}",
        "{\"events\":[1]}", "{\"events\":[\"!!!\"]}",
        "{\"events\":[\"AAAA\"], \"value\":\"x\"}", "{\"value\":\"x\""}) {
    auto d = decode_definition_record("config/x", bad, 5);
    EXPECT_FALSE(d) << bad;
  }
  replicated_definition d{"config/x", std::string{"v"}, 9, "n1", {}};
  d.events.push_back(runtime::make_system_event("x.y", {{"a", 1}}, 3));
  auto back = decode_definition_record("config/x",
                                       encode_definition_record(d), 9);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, "v");
  EXPECT_EQ(back->by, "n1");
  EXPECT_EQ(back->revision, 9u);
  ASSERT_EQ(back->events.size(), 1u);
  EXPECT_EQ(back->events[0].name(), "x.y");
}

} // namespace
} // namespace herald::cluster
