// Retention on a real node (DESIGN §3): a per-name rule removes `progress`
// events in the background while the others stay, and an expired id may be
// published again (the idempotency window is the retention window).

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::HasSubstr;

class retention : public process_test {
protected:
  std::vector<std::string> node_args() const override {
    return {"--retention-rule", "progress=1s", "--retention-interval", "1s"};
  }
};

TEST_F(retention, progress_rule_removes_progress_events_and_keeps_others) {
  json batch = json::array();
  for (int i = 0; i < 5; ++i) {
    batch.push_back(make_event("progress", {{"id", "p" + std::to_string(i)}}));
    batch.push_back(make_event("job.done", {{"id", "j" + std::to_string(i)}}));
  }
  auto reply = publish_ok(http(), batch);
  ASSERT_TRUE(reply.is_object());
  const auto first_seq = reply["events"][0].value("seq", int64_t{0});
  ASSERT_GT(first_seq, 0);

  // The sweeper runs every second; a progress event is gone after 1-2 s.
  EXPECT_TRUE(wait_for(
      [&] {
        return query_all(http(), {{"name", "progress"}}).empty();
      },
      20s))
      << "progress events still there";
  EXPECT_EQ(query_all(http(), {{"name", "job.done"}}).size(), 5u);
  EXPECT_EQ(http().get(std::string{events_path} + "/p0").status, 404);
  EXPECT_EQ(http().get(std::string{events_path} + "/j0").status, 200);
  // The sweeps show on /metrics.
  auto page = http().get("/metrics").body;
  const std::string deleted = "\nherald_retention_deleted_events_total ";
  auto at = page.find(deleted);
  ASSERT_NE(at, std::string::npos) << page;
  EXPECT_GE(std::stod(page.substr(at + deleted.size())), 5.0);
  // Herald's own events have no rule and no default age: kept.
  EXPECT_EQ(query_all(http(), {{"name", "server.ready"}}).size(), 1u);

  // The expired id is new again: stored with a new seq, not a duplicate.
  auto again = publish_ok(http(), make_event("progress", {{"id", "p0"}}));
  ASSERT_TRUE(again.is_object());
  EXPECT_FALSE(again.value("duplicate", false)) << again.dump();
  EXPECT_GT(again.value("seq", int64_t{0}), first_seq + 9);
  EXPECT_EQ(node().stop(), 0);
}

TEST(retention_config, a_bad_rule_in_the_config_file_exits_2_naming_it) {
  heraldd_process node;
  auto config = node.write_file(
      "herald.toml", "retention-rule = [\"progress=1d\", \"audit=soon\"]\n");
  node.options().extra_args = {"--config", config.string()};
  EXPECT_FALSE(node.start()) << "heraldd started with a bad retention rule";
  EXPECT_EQ(node.wait_exit(10s), 2);
  EXPECT_THAT(node.output(), HasSubstr("retention-rule"));
  EXPECT_THAT(node.output(), HasSubstr("audit=soon"));
}

TEST(retention_config, bad_retention_flags_exit_2_naming_the_flag) {
  for (auto flag : {"--retention-max-age", "--retention-max-bytes",
                    "--retention-interval"}) {
    heraldd_process node;
    node.options().extra_args = {flag, "12parsecs"};
    EXPECT_FALSE(node.start()) << flag;
    EXPECT_EQ(node.wait_exit(10s), 2) << flag;
    EXPECT_THAT(node.output(), HasSubstr(flag));
  }
}

} // namespace
} // namespace herald::test
