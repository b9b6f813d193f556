// GET /api/v1/scopes (docs/API.md "The scope tree"): seed 004's hierarchy
// browsed one level at a time, paged, as each caller may see it, and
// malformed parameters refused with their field.

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using strings = std::vector<std::string>;

class scopes_test : public process_test {
protected:
  void SetUp() override {
    process_test::SetUp();
    if (HasFatalFailure())
      return;
    json batch = json::array();
    for (const char* scope :
         {"project/p1/prod/deployment", "project/p1/staging/deployment",
          "project/p2/prod", "inventory/p1/app/1.0", "inventory/p1/app/1.1",
          "inventory/p1/web"})
      batch.push_back(make_event("scope.seen", {{"scope", scope}}));
    batch.push_back(
        make_event("scope.seen", {{"scope", "project/ops-only/prod"},
                                  {"allowed_groups", {"ops"}}}));
    publish_ok(http(), batch);
  }

  /// The level's scopes, following `next` with `limit` per page.
  static strings level(const http_client& c, const std::string& parent,
                       int limit = 100) {
    strings out;
    std::string after;
    for (int pages = 0; pages < 100; ++pages) {
      header_list q{{"parent", parent}, {"limit", std::to_string(limit)}};
      if (!after.empty())
        q.emplace_back("after", after);
      auto r = c.get(with_query("/api/v1/scopes", q));
      EXPECT_EQ(r.status, 200) << r.describe();
      auto body = r.json();
      if (r.status != 200 || !body.is_object())
        return out;
      EXPECT_EQ(body.value("parent", "?"), parent);
      for (auto& s : body["scopes"])
        out.push_back(s.get<std::string>());
      if (!body.contains("next"))
        return out;
      after = body["next"].get<std::string>();
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }
};

TEST_F(scopes_test, each_level_of_the_hierarchy_lists_its_children) {
  EXPECT_EQ(level(http(), ""), (strings{"inventory", "project"}));
  EXPECT_EQ(level(http(), "project"),
            (strings{"project/ops-only", "project/p1", "project/p2"}));
  EXPECT_EQ(level(http(), "project/p1"),
            (strings{"project/p1/prod", "project/p1/staging"}));
  EXPECT_EQ(level(http(), "inventory/p1"),
            (strings{"inventory/p1/app", "inventory/p1/web"}));
  EXPECT_EQ(level(http(), "inventory/p1/app"),
            (strings{"inventory/p1/app/1.0", "inventory/p1/app/1.1"}));
  EXPECT_TRUE(level(http(), "inventory/p1/web").empty());
  EXPECT_TRUE(level(http(), "nothing/here").empty());
}

TEST_F(scopes_test, pages_follow_next_to_the_end) {
  auto r = http().get("/api/v1/scopes?parent=project&limit=2");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json()["scopes"], json({"project/ops-only", "project/p1"}));
  EXPECT_EQ(r.json().value("next", ""), "project/p1");
  EXPECT_EQ(level(http(), "project", 1),
            (strings{"project/ops-only", "project/p1", "project/p2"}));
}

TEST_F(scopes_test, a_caller_sees_only_scopes_with_events_it_may_see) {
  auto outsider = login_as("outsider", {"reader"});
  EXPECT_EQ(level(outsider, "project"), (strings{"project/p1", "project/p2"}));
  auto ops = login_as("opsreader", {"reader"}, {"ops"});
  EXPECT_EQ(level(ops, "project"),
            (strings{"project/ops-only", "project/p1", "project/p2"}));
  EXPECT_EQ(as("").get("/api/v1/scopes").status, 401);
  auto publisher = login_as("pub", {"publisher"});
  auto refused = publisher.get("/api/v1/scopes");
  EXPECT_EQ(refused.status, 403) << refused.describe();
}

TEST_F(scopes_test, malformed_parameters_are_refused_with_their_field) {
  struct bad {
    const char* target;
    const char* code;
    const char* field;
  };
  for (const bad& b :
       {bad{"/api/v1/scopes?parent=a//b", "invalid_scope", "parent"},
        bad{"/api/v1/scopes?parent=%3Cx%3E", "invalid_scope", "parent"},
        bad{"/api/v1/scopes?limit=0", "invalid_parameter", "limit"},
        bad{"/api/v1/scopes?limit=1001", "invalid_parameter", "limit"},
        bad{"/api/v1/scopes?limit=x", "invalid_parameter", "limit"},
        bad{"/api/v1/scopes?parent=project&after=inventory",
            "invalid_parameter", "after"},
        bad{"/api/v1/scopes?parent=project&after=project/p1/prod",
            "invalid_parameter", "after"},
        bad{"/api/v1/scopes?scope=project", "invalid_parameter", "scope"}}) {
    auto r = http().get(b.target);
    EXPECT_EQ(r.status, 400) << b.target << ": " << r.describe();
    auto err = api_error(r);
    EXPECT_EQ(err.value("code", ""), b.code) << b.target;
    EXPECT_EQ(err.value("field", ""), b.field) << b.target;
  }
}

} // namespace
} // namespace herald::test
