// event_store::list_scopes: one level of the scope tree, paging, the
// visibility rule and its budgets, malformed parameters.

#include "storage/retention.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

using scopes = std::vector<std::string>;

runtime::identity reader(std::vector<std::string> groups) {
  return runtime::identity{"r", std::move(groups), {"reader"}};
}

class scope_list_test : public store_test {
protected:
  /// Appends one event per scope (with `groups` as allowed_groups).
  void add(const scopes& in, std::vector<std::string> groups = {},
           int64_t accept_ns = 42) {
    std::vector<v1::Event> evs;
    for (auto& sc : in) {
      auto ev = make_event("e" + std::to_string(++next_id_), "x.y");
      ev.set_scope(sc);
      for (auto& g : groups)
        ev.add_allowed_groups(g);
      evs.push_back(std::move(ev));
    }
    append(std::move(evs), accept_ns);
  }

  scope_page
  list(std::string_view parent, std::string_view after = {}, size_t limit = 100,
       const runtime::identity& who = runtime::identity::anonymous_admin(),
       scope_list_budget budget = {}) {
    auto r = store_->list_scopes(parent, after, limit, who, budget);
    EXPECT_TRUE(r) << caf::to_string(r.error());
    return r ? std::move(*r) : scope_page{};
  }

  /// Every page of a level, `limit` at a time.
  scopes
  list_all(std::string_view parent, size_t limit,
           const runtime::identity& who = runtime::identity::anonymous_admin(),
           scope_list_budget budget = {}) {
    scopes out;
    std::string after;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = list(parent, after, limit, who, budget);
      out.insert(out.end(), page.scopes.begin(), page.scopes.end());
      if (page.next.empty())
        return out;
      EXPECT_GT(page.next, after) << "a page must move forward";
      after = page.next;
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  int next_id_ = 0;
};

TEST_F(scope_list_test, EachLevelListsItsChildrenOnceInByteOrder) {
  // Siblings that sort between a child's own entries and its descendants'
  // ("a/b\0" < "a/b-y" < "a/b.x" < "a/b/c"), and a root that extends
  // another's name ("ab").
  add({"a/b/c", "a/b", "a/b.x", "a/b-y/z", "a/c", "ab", "b", "a/b/c/d",
       "a/b/e"});
  add({"a/b/c"}); // a second posting of the same scopes
  EXPECT_EQ(list("").scopes, (scopes{"a", "ab", "b"}));
  EXPECT_EQ(list("/").scopes, (scopes{"a", "ab", "b"}));
  EXPECT_EQ(list("a").scopes, (scopes{"a/b", "a/b-y", "a/b.x", "a/c"}));
  EXPECT_EQ(list("a/").scopes, (scopes{"a/b", "a/b-y", "a/b.x", "a/c"}));
  EXPECT_EQ(list("a/b").scopes, (scopes{"a/b/c", "a/b/e"}));
  EXPECT_EQ(list("a/b/c").scopes, (scopes{"a/b/c/d"}));
  EXPECT_TRUE(list("a/b/c/d").scopes.empty());
  EXPECT_TRUE(list("a/b/c/d").next.empty());
  EXPECT_TRUE(list("zz").scopes.empty());
  EXPECT_TRUE(list("a/bb").scopes.empty()) << "a prefix of a name is no scope";
}

TEST_F(scope_list_test, AnEmptyStoreAndEventsWithoutScopeListNothing) {
  EXPECT_TRUE(list("").scopes.empty());
  append({make_event("plain", "x.y")});
  auto page = list("");
  EXPECT_TRUE(page.scopes.empty());
  EXPECT_TRUE(page.next.empty());
}

TEST_F(scope_list_test, PagesResumeAfterTheLastScopeAndEndWithoutNext) {
  scopes all;
  std::vector<std::string> batch;
  for (int i = 0; i < 25; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "project/p%02d", i);
    all.emplace_back(name);
    batch.push_back(std::string{name} + "/env/deployment");
    batch.push_back(name);
  }
  add(batch);
  auto first = list("project", {}, 10);
  EXPECT_EQ(first.scopes.size(), 10u);
  EXPECT_EQ(first.next, "project/p09");
  auto second = list("project", first.next, 10);
  EXPECT_EQ(second.scopes.front(), "project/p10");
  for (size_t limit : {1u, 2u, 7u, 25u, 1000u})
    EXPECT_EQ(list_all("project", limit), all) << "limit " << limit;
  auto exact = list("project", {}, 25);
  EXPECT_EQ(exact.scopes.size(), 25u);
  EXPECT_TRUE(exact.next.empty()) << "nothing after the last one";
  EXPECT_TRUE(list("project", "project/p24", 10).scopes.empty());
  EXPECT_EQ(list("project", "project/p", 1).scopes, (scopes{"project/p00"}))
      << "after need not name a stored scope";
}

TEST_F(scope_list_test, ACallerSeesOnlyScopesHoldingAnEventItMaySee) {
  add({"team/red/x"}, {"red"});
  add({"team/blue/y"}, {"blue"});
  add({"team/open"});
  add({"team/red/x2"}, {"red"});
  EXPECT_EQ(list("team").scopes,
            (scopes{"team/blue", "team/open", "team/red"}));
  EXPECT_EQ(list("team", {}, 100, reader({"red"})).scopes,
            (scopes{"team/open", "team/red"}));
  EXPECT_EQ(list("team/red", {}, 100, reader({"red"})).scopes,
            (scopes{"team/red/x", "team/red/x2"}));
  EXPECT_EQ(list("team", {}, 100, reader({})).scopes, (scopes{"team/open"}));
  EXPECT_TRUE(list("team/blue", {}, 100, reader({"red"})).scopes.empty());
  EXPECT_EQ(list("", {}, 100, reader({})).scopes, (scopes{"team"}));
}

TEST_F(scope_list_test, AScopeIsListedWhenAVisibleEventFollowsHiddenOnes) {
  add({"s/mixed", "s/mixed", "s/mixed"}, {"secret"});
  add({"s/mixed"});
  EXPECT_EQ(list("s", {}, 100, reader({})).scopes, (scopes{"s/mixed"}));
  // The bound: a scope whose first per_scope events are hidden is not.
  EXPECT_TRUE(list("s", {}, 100, reader({}), {2, 100}).scopes.empty());
}

TEST_F(scope_list_test, APageEndsEarlyWhenItsBudgetIsUsedAndResumes) {
  scopes all;
  std::vector<std::string> batch;
  for (int i = 0; i < 12; ++i) {
    all.push_back("r/s" + std::to_string(10 + i));
    batch.push_back(all.back());
  }
  add(batch);
  auto page = list("r", {}, 100, reader({}), {10, 5});
  EXPECT_EQ(page.scopes.size(), 5u) << "one event read per scope";
  EXPECT_EQ(page.next, "r/s14");
  EXPECT_EQ(list_all("r", 100, reader({}), {10, 5}), all);
}

TEST_F(scope_list_test, MalformedParentOrAfterIsRefusedWithItsField) {
  add({"a/b"});
  auto bad_parent =
      store_->list_scopes("a//b", {}, 10, runtime::identity::anonymous_admin());
  ASSERT_FALSE(bad_parent);
  EXPECT_EQ(api_code(bad_parent.error()), runtime::errc::invalid_scope);
  EXPECT_EQ(runtime::describe(bad_parent.error()).field, "parent");
  for (std::string_view after : {"b/c", "a/b/c", "a", "a/<x>", "ab"}) {
    auto r = store_->list_scopes("a", after, 10,
                                 runtime::identity::anonymous_admin());
    ASSERT_FALSE(r) << after;
    EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_parameter) << after;
    EXPECT_EQ(runtime::describe(r.error()).field, "after") << after;
  }
  auto root_after =
      store_->list_scopes("", "a/b", 10, runtime::identity::anonymous_admin());
  EXPECT_FALSE(root_after) << "a root's after has one segment";
}

TEST_F(scope_list_test, ScopesOfDeletedEventsGoWithThem) {
  add({"gone/y", "keep/old"}, {}, 100);
  add({"keep/x"}, {}, 900);
  EXPECT_EQ(list("").scopes, (scopes{"gone", "keep"}));
  retention_policy p;
  p.max_age_ns = 500;
  auto r = store_->expire(p, 1000, 1000);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(list("").scopes, (scopes{"keep"}));
  EXPECT_EQ(list("keep").scopes, (scopes{"keep/x"}));
  reopen(); // read back from disk, not the memtable
  EXPECT_EQ(list("").scopes, (scopes{"keep"}));
}

} // namespace
} // namespace herald::storage::test
