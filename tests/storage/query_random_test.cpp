// Randomized queries against a brute-force filter over the same events:
// every page sequence must reproduce the brute-force list exactly, in both
// orders, with any limit and scan budget.

#include <algorithm>
#include <random>
#include <set>

#include "runtime/content_filter.hpp"
#include "runtime/subject.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& xs) {
  return xs[std::uniform_int_distribution<size_t>{0, xs.size() - 1}(rng)];
}

bool chance(std::mt19937_64& rng, double p) {
  return std::bernoulli_distribution{p}(rng);
}

/// The reference semantics, written independently of the store.
bool brute_match(const event_query& q, const runtime::identity& who,
                 const v1::Event& ev, bool active_data) {
  if (q.name && !runtime::pattern_matches(*q.name, ev.name()))
    return false;
  if (q.source && ev.source() != *q.source)
    return false;
  if (q.tenant && ev.tenant() != *q.tenant)
    return false;
  if (q.user && ev.user() != *q.user)
    return false;
  if (q.scope) {
    std::string p = *q.scope;
    while (!p.empty() && p.back() == '/')
      p.pop_back();
    const std::string& s = ev.scope();
    if (!p.empty() && s != p && !s.starts_with(p + "/"))
      return false;
  }
  if (q.since_ns && ev.time_ns() < *q.since_ns)
    return false;
  if (q.until_ns && ev.time_ns() >= *q.until_ns)
    return false;
  if (q.from_seq && ev.seq() < *q.from_seq)
    return false;
  if (q.filter && !active_data)
    return false;
  if (!who.is_admin() && ev.allowed_groups_size() > 0) {
    bool shared = false;
    for (auto& g : ev.allowed_groups())
      shared = shared || std::find(who.groups.begin(), who.groups.end(), g) !=
                             who.groups.end();
    if (!shared)
      return false;
  }
  return true;
}

class query_random_test : public store_test {
protected:
  void SetUp() override {
    zone_shift_ = 4; // 16 events per zone block
    store_test::SetUp();
  }
};

TEST_F(query_random_test, pages_equal_brute_force) {
  // Fixed seed; HERALD_TEST_SEED explores others by hand.
  const char* seed_env = std::getenv("HERALD_TEST_SEED");
  const uint64_t seed =
      seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261122;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng{seed};
  std::vector<std::string> names{"iam.user.created",
                                 "iam.user.deleted",
                                 "iam.group.created",
                                 "inv.item.updated",
                                 "inv.item.created",
                                 "server.ready",
                                 "trigger.event.ok",
                                 "trigger.event.error",
                                 "trigger.schedule.ok",
                                 "progress",
                                 "a.b.c.d",
                                 "a.b"};
  for (int i = 0; i < 80; ++i) // more than the planner merges
    names.push_back("bulk.k" + std::to_string(i) + ".ev");
  const std::vector<std::string> sources{"iam", "inv", "herald", "", "bulk"};
  const std::vector<std::string> tenants{"acme", "globex", ""};
  const std::vector<std::string> users{"alice", "bob", "carol", ""};
  const std::vector<std::string> scopes{"",
                                        "inventory",
                                        "inventory/test",
                                        "inventory/test/app",
                                        "inventory/test/app/1.0",
                                        "inventory/testing",
                                        "inventory/testing/x",
                                        "project/p1/dev",
                                        "project/p1/dev/deployment",
                                        "project/p2"};
  const std::vector<std::vector<std::string>> groups{
      {}, {}, {}, {"a"}, {"b"}, {"a", "b"}, {"c"}};

  // ~3000 events in random batches; time mostly rising with jitter, some
  // far out of order; a few repeated ids.
  std::vector<v1::Event> stored; // by seq - 1
  std::vector<bool> active;      // data.state == "active"
  int64_t clock = 1'000'000;
  int next_id = 0;
  while (stored.size() < 3000) {
    std::vector<v1::Event> batch;
    auto n = std::uniform_int_distribution<int>{1, 200}(rng);
    for (int i = 0; i < n; ++i) {
      clock += std::uniform_int_distribution<int>{0, 100}(rng);
      int64_t t = clock + std::uniform_int_distribution<int>{-300, 300}(rng);
      if (chance(rng, 0.03))
        t = std::uniform_int_distribution<int64_t>{0, clock * 2}(rng);
      std::string id =
          chance(rng, 0.02) && next_id > 0
              ? "id" + std::to_string(std::uniform_int_distribution<int>{
                           0, next_id - 1}(rng))
              : "id" + std::to_string(next_id++);
      auto ev = make_event(id, pick(rng, names), t);
      ev.set_source(pick(rng, sources));
      ev.set_tenant(pick(rng, tenants));
      ev.set_user(pick(rng, users));
      ev.set_scope(pick(rng, scopes));
      for (auto& g : pick(rng, groups))
        ev.add_allowed_groups(g);
      bool is_active = chance(rng, 0.5);
      ev.set_data_json(is_active ? R"({"state":"active"})"
                                 : R"({"state":"idle"})");
      batch.push_back(std::move(ev));
    }
    auto copy = batch;
    auto res = store_->append(copy, "n1", 1);
    ASSERT_TRUE(res);
    for (size_t i = 0; i < copy.size(); ++i) {
      if ((*res)[i].duplicate)
        continue;
      ASSERT_EQ((*res)[i].seq, stored.size() + 1);
      stored.push_back(copy[i]);
      active.push_back(copy[i].data_json().find("active") != std::string::npos);
    }
  }
  const uint64_t last = stored.size();
  ASSERT_EQ(store_->last_seq(), last);

  auto active_filter = runtime::content_filter::parse(
      std::string_view{R"({"data.state":["active"]})"}, "filter");
  ASSERT_TRUE(active_filter);
  const std::vector<std::string> patterns{
      "iam.*.created", "iam.>",    "*.user.*", ">",   "trigger.>", "nothing.*",
      "bulk.*.ev",     "bulk.>",   "a.*",      "a.>", "*",         "*.*.*.*",
      "inv.item.*",    "bulk.k7.*"};
  const std::vector<std::string> scope_queries{
      "inventory/test",         "inventory",       "inventory/te", "project/p1",
      "inventory/test/app/1.0", "project/p1/dev/", "nope",         ""};
  const std::vector<runtime::identity> whos{
      runtime::identity::anonymous_admin(),
      runtime::identity{"r", {"a"}, {"reader"}},
      runtime::identity{"r", {"b", "c"}, {"reader"}},
      runtime::identity{"r", {}, {"reader"}}};

  size_t nonempty = 0;
  for (int qi = 0; qi < 400; ++qi) {
    event_query q;
    if (chance(rng, 0.35))
      q.name = chance(rng, 0.4) ? pick(rng, names) : pick(rng, patterns);
    if (chance(rng, 0.25))
      q.source = pick(rng, sources);
    if (chance(rng, 0.2))
      q.tenant = pick(rng, tenants);
    if (chance(rng, 0.2))
      q.user = pick(rng, users);
    if (chance(rng, 0.3))
      q.scope = pick(rng, scope_queries);
    if (chance(rng, 0.3))
      q.since_ns = std::uniform_int_distribution<int64_t>{0, clock}(rng);
    if (chance(rng, 0.3))
      q.until_ns = std::uniform_int_distribution<int64_t>{0, clock + 1000}(rng);
    if (chance(rng, 0.2))
      q.filter = *active_filter;
    if (chance(rng, 0.1))
      q.from_seq = std::uniform_int_distribution<uint64_t>{0, last + 5}(rng);
    q.descending = chance(rng, 0.5);
    q.limit = pick(rng, std::vector<size_t>{1, 2, 7, 50, 1000});
    q.scan_budget = chance(rng, 0.15)
                        ? pick(rng, std::vector<size_t>{1, 2, 3})
                        : pick(rng, std::vector<size_t>{17, 200, 20000});
    const auto& who = pick(rng, whos);

    std::vector<uint64_t> want;
    for (auto& ev : stored)
      if (brute_match(q, who, ev, active[ev.seq() - 1]))
        want.push_back(ev.seq());
    if (q.descending)
      std::reverse(want.begin(), want.end());
    nonempty += !want.empty();

    std::vector<uint64_t> got;
    std::set<uint64_t> seen;
    uint64_t prev_examined = q.descending ? ~uint64_t{0} : 0;
    event_query page_q = q;
    bool ended = false;
    for (size_t pages = 0; pages < 20000 && !ended; ++pages) {
      auto page = store_->query(page_q, who);
      ASSERT_TRUE(page) << caf::to_string(page.error());
      ASSERT_LE(page->events.size(), std::max<size_t>(q.limit, 1));
      for (auto& ev : page->events) {
        ASSERT_TRUE(seen.insert(ev.seq()).second) << "duplicate " << ev.seq();
        got.push_back(ev.seq());
        // The page holds the stored event itself.
        ASSERT_EQ(ev.SerializeAsString(),
                  stored[ev.seq() - 1].SerializeAsString());
      }
      // The resume point moves forward: strictly while pages continue.
      if (page->next.empty())
        ASSERT_TRUE(q.descending ? page->last_examined_seq <= prev_examined
                                 : page->last_examined_seq >= prev_examined);
      else if (q.descending)
        ASSERT_LT(page->last_examined_seq, prev_examined);
      else
        ASSERT_GT(page->last_examined_seq, prev_examined);
      prev_examined = page->last_examined_seq;
      if (page->next.empty()) {
        ended = true;
        if (!q.descending) {
          ASSERT_EQ(page->last_examined_seq, last);
        }
      } else {
        page_q.after = page->next;
      }
    }
    ASSERT_TRUE(ended) << "query " << qi << " did not end";
    ASSERT_EQ(got, want) << "query " << qi << " name=" << q.name.value_or("-")
                         << " scope=" << q.scope.value_or("-")
                         << " desc=" << q.descending << " limit=" << q.limit
                         << " budget=" << q.scan_budget;
  }
  // The random mix must exercise non-trivial results.
  EXPECT_GT(nonempty, 200u);
}

} // namespace
} // namespace herald::storage::test
