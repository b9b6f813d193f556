// The audit trail query (DESIGN §3, §7 "Query"): every parameter narrows as
// documented, paging yields each event exactly once, single-event reads.

#include <set>

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

/// A node holding a fixed set of user events (ids q1..q7, times in 2021 so
/// that Herald's own events, stamped now, fall outside every time window).
class query : public process_test {
protected:
  void SetUp() override {
    process_test::SetUp();
    if (HasFatalFailure())
      return;
    json events = json::array({
        make_event("iam.user.created",
                   {{"id", "q1"},
                    {"source", "iam"},
                    {"tenant", "acme"},
                    {"user", "alice"},
                    {"scope", "inventory/test/app"},
                    {"time", "2021-01-01T00:00:00Z"},
                    {"data", {{"code", 200}, {"state", "active"}}}}),
        make_event("iam.user.deleted", {{"id", "q2"},
                                        {"source", "iam"},
                                        {"tenant", "acme"},
                                        {"user", "bob"},
                                        {"scope", "inventory/testing"},
                                        {"time", "2021-01-02T00:00:00Z"},
                                        {"data", {{"code", 410}}}}),
        make_event("iam.tenant.created",
                   {{"id", "q3"},
                    {"source", "iam"},
                    {"tenant", "globex"},
                    {"user", "alice"},
                    {"scope", "inventory/test"},
                    {"time", "2021-01-03T00:00:00Z"},
                    {"data", {{"code", 201}, {"state", "active"}}}}),
        make_event("iam.role.perm.created", {{"id", "q4"},
                                             {"source", "iam"},
                                             {"tenant", "acme"},
                                             {"time", "2021-01-04T00:00:00Z"}}),
        make_event("secret-service.secret.created",
                   {{"id", "q5"},
                    {"source", "secret-service"},
                    {"tenant", "acme"},
                    {"user", "carol"},
                    {"scope", "project/p1/dev"},
                    {"time", "2021-01-05T00:00:00Z"},
                    {"data", {{"code", 404}, {"state", "gone"}}}}),
        make_event("flowrepo.flow.created",
                   {{"id", "q6"},
                    {"source", "flowrepo"},
                    {"tenant", "globex"},
                    {"user", "bob"},
                    {"scope", "inventory/test/app/1.0"},
                    {"time", "2021-01-06T00:00:00Z"},
                    {"data", {{"code", 500}}}}),
        make_event("iamx.user.created", {{"id", "q7"},
                                         {"source", "iamx"},
                                         {"tenant", "acmes"},
                                         {"time", "2021-01-07T00:00:00Z"}}),
    });
    auto reply = publish_ok(http(), events);
    ASSERT_TRUE(reply.contains("events")) << reply.dump();
  }

  /// Ids (in returned order) of the user events matching `params`.
  std::vector<std::string> ids(header_list params) {
    std::vector<std::string> out;
    for (const auto& e : query_all(http(), std::move(params)))
      if (e.value("kind", "") != "sys")
        out.push_back(e.value("id", "<no id>"));
    return out;
  }
};

TEST_F(query, by_literal_name) {
  EXPECT_THAT(ids({{"name", "iam.user.created"}}), ElementsAre("q1"));
}

TEST_F(query, by_name_pattern_star_is_one_segment) {
  EXPECT_THAT(ids({{"name", "iam.*.created"}}), ElementsAre("q1", "q3"));
}

TEST_F(query, by_name_pattern_gt_is_trailing_segments) {
  EXPECT_THAT(ids({{"name", "iam.>"}}), ElementsAre("q1", "q2", "q3", "q4"));
  EXPECT_THAT(ids({{"name", "*.*.created"}}),
              ElementsAre("q1", "q3", "q5", "q6", "q7"));
}

TEST_F(query, by_source_tenant_user_exactly) {
  EXPECT_THAT(ids({{"source", "iam"}}), ElementsAre("q1", "q2", "q3", "q4"));
  EXPECT_THAT(ids({{"tenant", "acme"}}), ElementsAre("q1", "q2", "q4", "q5"));
  EXPECT_THAT(ids({{"user", "alice"}}), ElementsAre("q1", "q3"));
  EXPECT_THAT(ids({{"tenant", "globex"}, {"user", "bob"}}), ElementsAre("q6"));
}

TEST_F(query, by_scope_matches_whole_segments) {
  EXPECT_THAT(ids({{"scope", "inventory/test"}}),
              ElementsAre("q1", "q3", "q6"));
  EXPECT_THAT(ids({{"scope", "inventory/test/app"}}), ElementsAre("q1", "q6"));
  EXPECT_THAT(ids({{"scope", "inventory/testing"}}), ElementsAre("q2"));
  EXPECT_THAT(ids({{"scope", "project"}}), ElementsAre("q5"));
}

TEST_F(query, by_time_since_inclusive_until_exclusive) {
  EXPECT_THAT(ids({{"since", "2021-01-02T00:00:00Z"},
                   {"until", "2021-01-04T00:00:00Z"}}),
              ElementsAre("q2", "q3"));
  EXPECT_THAT(ids({{"since", "2021-01-06T01:00:00+01:00"},
                   {"until", "2021-01-07T00:00:00Z"}}),
              ElementsAre("q6"));
  EXPECT_THAT(ids({{"until", "2021-01-02T00:00:00Z"}}), ElementsAre("q1"));
}

TEST_F(query, by_content_filter) {
  EXPECT_THAT(ids({{"filter", R"({"data.code":[{"numeric":[">=",400]}]})"}}),
              ElementsAre("q2", "q5", "q6"));
  EXPECT_THAT(
      ids({{"filter", R"({"source":["iam"],"data.state":["active"]})"}}),
      ElementsAre("q1", "q3"));
  EXPECT_THAT(ids({{"filter", R"({"tenant":[{"prefix":"ac"}]})"},
                   {"name", "*.*.created"}}),
              ElementsAre("q1", "q5", "q7"));
  EXPECT_THAT(ids({{"filter", R"({"user":[{"anything-but":["alice"]}]})"},
                   {"name", "iam.user.*"}}),
              ElementsAre("q2"));
}

TEST_F(query, order_desc_reverses_seq_order) {
  auto events = query_all(http(), {{"name", "iam.>"}, {"order", "desc"}});
  EXPECT_THAT(pluck(events, "id"), ElementsAre("q4", "q3", "q2", "q1"));
  auto seqs = seqs_of(events);
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_GT(seqs[i - 1], seqs[i]);
}

TEST_F(query, results_are_in_ascending_seq_order_by_default) {
  auto seqs = seqs_of(query_all(http()));
  ASSERT_GE(seqs.size(), 8u);
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_LT(seqs[i - 1], seqs[i]);
}

TEST_F(query, limit_and_next_page_through_every_event_exactly_once) {
  json batch = json::array();
  for (int i = 0; i < 23; ++i)
    batch.push_back(
        make_event("page.item.n", {{"id", "p" + std::to_string(i)}}));
  publish_ok(http(), batch);
  for (std::string order : {"asc", "desc"}) {
    std::vector<std::string> seen;
    std::string after;
    int pages = 0;
    for (; pages < 10; ++pages) {
      header_list params{{"name", "page.>"}, {"limit", "5"}, {"order", order}};
      if (!after.empty())
        params.emplace_back("after", after);
      auto r = http().get(with_query(events_path, params));
      ASSERT_EQ(r.status, 200) << r.describe();
      auto body = r.json();
      ASSERT_TRUE(body.contains("events")) << r.describe();
      EXPECT_LE(body["events"].size(), 5u);
      for (const auto& e : body["events"])
        seen.push_back(e.value("id", ""));
      if (!body.contains("next"))
        break;
      after = body["next"].get<std::string>();
    }
    EXPECT_LT(pages, 10) << "next never ran out";
    std::vector<std::string> expected;
    for (int i = 0; i < 23; ++i)
      expected.push_back("p" + std::to_string(order == "asc" ? i : 22 - i));
    EXPECT_EQ(seen, expected) << "order=" << order;
  }
  // Default limit is 100: a full page of 100 when more exist.
  json more = json::array();
  for (int i = 0; i < 110; ++i)
    more.push_back(make_event("page.bulk.n"));
  publish_ok(http(), more);
  auto r = http().get(with_query(events_path, {{"name", "page.bulk.n"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json()["events"].size(), 100u);
  EXPECT_TRUE(r.json().contains("next"));
}

TEST_F(query, get_by_id_returns_the_bare_event) {
  auto r = http().get(std::string(events_path) + "/q5");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto e = r.json();
  EXPECT_FALSE(e.contains("events")) << "bare event, not a list";
  EXPECT_EQ(e.value("id", ""), "q5");
  EXPECT_EQ(e.value("name", ""), "secret-service.secret.created");
  EXPECT_EQ(e.value("scope", ""), "project/p1/dev");
  EXPECT_EQ(e.value("time", ""), "2021-01-05T00:00:00Z");
  EXPECT_TRUE(e.contains("seq"));
}

TEST_F(query, get_unknown_id_is_404_not_found) {
  auto r = http().get(std::string(events_path) + "/no-such-event");
  EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt));
}

} // namespace
} // namespace herald::test
