// Bad publishes (DESIGN §2 "Bad input", §7 "Errors", "Fields"): one test per
// class of bad input; each checks the 4xx error body with its code and
// field, and that the store is unchanged.

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

/// A node with one stored user event; `rejects` publishes a bad body and
/// checks the error and that the set of stored user events is unchanged.
class bad_publish : public process_test {
protected:
  void SetUp() override {
    process_test::SetUp();
    if (HasFatalFailure())
      return;
    publish_ok(http(), make_event("baseline.event.stored", {{"id", "base-1"}}));
    before_ = user_event_ids(http());
    ASSERT_EQ(before_.size(), 1u);
  }

  ::testing::AssertionResult
  rejects_text(const std::string& body, int status,
               std::initializer_list<std::string_view> codes,
               std::optional<std::string_view> field,
               const header_list& headers = {}) {
    auto r = http().post(events_path, body, headers);
    auto verdict = is_api_error(r, status, codes, field);
    if (!verdict) {
      before_ = user_event_ids(http()); // judge the next body on its own
      return verdict << "\n  body sent: " << body.substr(0, 200);
    }
    auto after = user_event_ids(http());
    if (after != before_) {
      std::swap(before_, after); // judge the next body on its own
      return ::testing::AssertionFailure()
             << "a rejected publish changed the store: " << json(before_).dump()
             << " (was " << json(after).dump() << ")"
             << "\n  body sent: " << body.substr(0, 200);
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult
  rejects(const json& body, int status,
          std::initializer_list<std::string_view> codes,
          std::optional<std::string_view> field) {
    return rejects_text(body.dump(), status, codes, field);
  }

  std::vector<std::string> before_;
};

TEST_F(bad_publish, malformed_json_is_invalid_json) {
  EXPECT_TRUE(
      rejects_text(R"({"name": "a.b",)", 400, {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(rejects_text(R"([{"name": "a.b"}, )", 400, {"invalid_json"},
                           std::nullopt));
  EXPECT_TRUE(rejects_text("name=a.b", 400, {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(rejects_text("", 400, {"invalid_json"}, std::nullopt));
}

TEST_F(bad_publish, wrong_field_types_are_invalid_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"tenant", 5}}), 400,
                      {"invalid_field"}, "/tenant"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"allowed_groups", "g"}}), 400,
                      {"invalid_field"}, "/allowed_groups"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"user", json::array()}}), 400,
                      {"invalid_field"}, "/user"));
  EXPECT_TRUE(rejects(json({{"name", 42}}), 400,
                      {"invalid_name", "invalid_field"}, "/name"));
}

TEST_F(bad_publish, missing_name_is_invalid_name) {
  EXPECT_TRUE(rejects(json({{"source", "x"}, {"data", {{"a", 1}}}}), 400,
                      {"invalid_name"}, "/name"));
  EXPECT_TRUE(rejects(json::array({make_event("ok.one"), {{"source", "x"}}}),
                      400, {"invalid_name"}, "/1/name"));
}

TEST_F(bad_publish, invalid_name_is_invalid_name) {
  for (std::string name :
       {"", "a..b", "a b", "a.b.", ".a", "a.*", "a.>", "caf\xc3\xa9.x", "a/b"})
    EXPECT_TRUE(rejects(make_event(name), 400, {"invalid_name"}, "/name"))
        << "name \"" << name << "\"";
}

TEST_F(bad_publish, invalid_name_in_a_batch_points_at_the_event) {
  EXPECT_TRUE(
      rejects(json::array({make_event("good.one"), make_event("bad name")}),
              400, {"invalid_name"}, "/1/name"));
}

TEST_F(bad_publish, kind_sys_from_a_client_is_forbidden_field) {
  EXPECT_TRUE(rejects(make_event("server.ready", {{"kind", "sys"}}), 400,
                      {"forbidden_field"}, "/kind"));
}

TEST_F(bad_publish, origin_from_a_client_is_forbidden_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"origin", {{"trigger_id", "t"}}}}),
                      400, {"forbidden_field"}, "/origin"));
}

TEST_F(bad_publish, unknown_top_level_field_is_unknown_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"colour", "red"}}), 400,
                      {"unknown_field"}, "/colour"));
}

TEST_F(bad_publish, bad_scope_is_invalid_scope) {
  for (std::string scope :
       {"inventory//x", "/inventory", "inventory/", "a b", "", "a/b?c"})
    EXPECT_TRUE(rejects(make_event("a.b", {{"scope", scope}}), 400,
                        {"invalid_scope"}, "/scope"))
        << "scope \"" << scope << "\"";
}

TEST_F(bad_publish, bad_time_is_invalid_time) {
  for (std::string time : {"yesterday", "2026-13-01T00:00:00Z",
                           "2026-11-22T10:00:00", "2026-11-22T25:00:00Z",
                           "2026-11-22T10:00:00.1234567890Z", "1700000000"})
    EXPECT_TRUE(rejects(make_event("a.b", {{"time", time}}), 400,
                        {"invalid_time"}, "/time"))
        << "time \"" << time << "\"";
}

TEST_F(bad_publish, bad_id_is_invalid_id) {
  EXPECT_TRUE(
      rejects(make_event("a.b", {{"id", ""}}), 400, {"invalid_id"}, "/id"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"id", std::string(257, 'x')}}), 400,
                      {"invalid_id"}, "/id"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"id", "tab\there"}}), 400,
                      {"invalid_id"}, "/id"));
}

TEST_F(bad_publish, body_over_1_mib_is_413_too_large) {
  auto event =
      make_event("big.event", {{"data", std::string(1100 * 1024, 'x')}});
  EXPECT_TRUE(rejects(event, 413, {"too_large"}, std::nullopt));
  // Just under the limit is fine.
  publish_ok(http(), make_event("big.event.ok",
                                {{"data", std::string(1000 * 1024, 'x')}}));
}

TEST_F(bad_publish, batch_with_one_bad_event_stores_none) {
  json batch = json::array({make_event("good.one", {{"id", "g1"}}),
                            make_event("good.two", {{"id", "g2"}}),
                            make_event("bad.time", {{"time", "noon"}})});
  EXPECT_TRUE(rejects(batch, 400, {"invalid_time"}, "/2/time"));
  auto r = http().get(std::string(events_path) + "/g1");
  EXPECT_EQ(r.status, 404) << r.describe();
}

class bad_publish_small_body : public bad_publish {
protected:
  std::vector<std::string> node_args() const override {
    return {"--max-body", "4096"};
  }
};

TEST_F(bad_publish_small_body, max_body_flag_sets_the_limit) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"data", std::string(8192, 'x')}}),
                      413, {"too_large"}, std::nullopt));
  publish_ok(http(), make_event("a.b", {{"data", std::string(2048, 'x')}}));
}

class bad_publish_small_batch : public bad_publish {
protected:
  std::vector<std::string> node_args() const override {
    return {"--max-batch", "5"};
  }
};

TEST_F(bad_publish_small_batch, batch_over_max_batch_is_too_large) {
  json batch = json::array();
  for (int i = 0; i < 6; ++i)
    batch.push_back(
        make_event("batch.item", {{"id", "m" + std::to_string(i)}}));
  EXPECT_TRUE(rejects(batch, 0, {"too_large"}, std::nullopt));
  batch.erase(batch.begin());
  auto reply = publish_ok(http(), batch);
  EXPECT_EQ(reply.value("events", json::array()).size(), 5u);
}

} // namespace
} // namespace herald::test
