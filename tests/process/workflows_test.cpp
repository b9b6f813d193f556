// Workflows, tasks and triggers against a real heraldd (DESIGN §5, seed
// 003): runs and their events, 003's outcome and failure events, DST
// previews over HTTP, bad input, and tasks across kill -9.

#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <thread>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

/// Unix seconds of an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ".
int64_t unix_s(const std::string& t) {
  std::tm tm{};
  strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return static_cast<int64_t>(timegm(&tm));
}

int64_t runtime_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class workflows_test : public process_test {
protected:
  /// Events named `name`, in seq order.
  std::vector<json> events(const std::string& name) {
    return query_all(http(), {{"name", name}});
  }

  /// Waits until at least `n` events named `name` are stored.
  std::vector<json> wait_events(const std::string& name, size_t n,
                                std::chrono::milliseconds deadline = 15s) {
    std::vector<json> got;
    wait_for(
        [&] {
          got = events(name);
          return got.size() >= n;
        },
        deadline);
    return got;
  }

  /// Waits until task `id` has ended; its last GET body.
  json wait_task_end(const std::string& id,
                     std::chrono::milliseconds deadline = 15s) {
    json task;
    wait_for(
        [&] {
          auto r = http().get("/api/v1/tasks/" + id);
          task = r.json();
          return r.status == 200 && task.value("state", "") != "running";
        },
        deadline);
    return task;
  }

  void put_workflow(const std::string& id, const json& doc) {
    auto r = http().put_json("/api/v1/workflows/" + id, doc);
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.describe();
  }

  void put_trigger(const std::string& id, const json& doc) {
    auto r = http().put_json("/api/v1/triggers/" + id, doc);
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.describe();
  }
};

TEST_F(workflows_test, a_run_emits_its_events_with_lineage_and_ends) {
  put_workflow("greet", json::parse(R"({"name": "Greeting",
    "input_schema": {"type": "object", "required": ["who"]},
    "steps": [
      {"name": "hello", "emit": {"name": "greet.hello",
                                 "data": {"to": "${input.who}"}}},
      {"name": "mark", "set_status": {"status": "ok", "message": "said hi to ${input.who}"}},
      {"name": "bye", "emit": {"name": "greet.bye",
                               "data": {"after": "${steps.hello.output.id}"}}}
    ]})"));
  auto r = http().post_json("/api/v1/workflows/greet/run", {{"who", "ada"}});
  ASSERT_EQ(r.status, 202) << r.describe();
  const auto task_id = r.json()["task_id"].get<std::string>();
  auto task = wait_task_end(task_id);
  EXPECT_EQ(task["state"], "succeeded") << task.dump();
  EXPECT_EQ(task["workflow_id"], "greet");
  EXPECT_EQ(task["status"], "ok");
  EXPECT_EQ(task["status_msg"], "said hi to ada");
  EXPECT_EQ(task["input"], json({{"who", "ada"}}));
  ASSERT_EQ(task["steps"].size(), 3u);
  for (const auto& s : task["steps"]) {
    EXPECT_EQ(s["state"], "succeeded") << s.dump();
    EXPECT_TRUE(s.contains("started") && s.contains("ended")) << s.dump();
  }
  EXPECT_EQ(task["outputs"].size(), 2u);

  auto hello = events("greet.hello");
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_EQ(hello[0]["data"], json({{"to", "ada"}}));
  EXPECT_EQ(hello[0]["origin"]["workflow_id"], "greet");
  EXPECT_EQ(hello[0]["origin"]["task_id"], task_id);
  EXPECT_TRUE(hello[0].contains("traceparent"));
  auto bye = events("greet.bye");
  ASSERT_EQ(bye.size(), 1u);
  EXPECT_EQ(bye[0]["data"]["after"], hello[0]["id"]);
  // Same trace, another span.
  EXPECT_EQ(bye[0]["traceparent"].get<std::string>().substr(0, 35),
            hello[0]["traceparent"].get<std::string>().substr(0, 35));
  EXPECT_NE(bye[0]["traceparent"], hello[0]["traceparent"]);

  auto started = events("task_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["data"]["task_id"], task_id);
  EXPECT_EQ(started[0]["data"]["workflow_id"], "greet");
  auto ended = events("task_end");
  ASSERT_EQ(ended.size(), 1u);
  const auto& d = ended[0]["data"];
  EXPECT_EQ(d["task_id"], task_id);
  EXPECT_EQ(d["state"], "succeeded");
  EXPECT_EQ(d["ok"], true);
  EXPECT_TRUE(d.contains("duration_ms"));
  EXPECT_LT(started[0]["seq"], hello[0]["seq"]);
  EXPECT_LT(bye[0]["seq"], ended[0]["seq"]);

  // Input that fails input_schema: 003's "flow rejected input data".
  auto bad = http().post_json("/api/v1/workflows/greet/run", json::object());
  EXPECT_TRUE(is_api_error(bad, 400, {"invalid_field"}, std::nullopt));
  EXPECT_NE(api_error(bad)["message"].get<std::string>().find(
                "flow rejected input data"),
            std::string::npos);
  auto none = http().post_json("/api/v1/workflows/nope/run", json::object());
  EXPECT_TRUE(is_api_error(none, 404, {"not_found"}, "id"));

  auto list = http().get(with_query(
      "/api/v1/tasks", {{"workflow", "greet"}, {"state", "succeeded"}}));
  ASSERT_EQ(list.status, 200) << list.describe();
  ASSERT_EQ(list.json()["tasks"].size(), 1u);
  EXPECT_EQ(list.json()["tasks"][0]["id"], task_id);
}

TEST_F(workflows_test, builtin_workflow_and_its_disabled_trigger_exist) {
  auto w = http().get("/api/v1/workflows/collect_and_cleanup");
  ASSERT_EQ(w.status, 200) << w.describe();
  EXPECT_EQ(w.json()["origin"], "builtin");
  auto t = http().get("/api/v1/triggers/collect_and_cleanup");
  ASSERT_EQ(t.status, 200) << t.describe();
  EXPECT_EQ(t.json()["enabled"], false);
  EXPECT_EQ(t.json()["cron"], "0 * * * *");
  EXPECT_EQ(t.json()["workflow"], "collect_and_cleanup");
  auto e = http().post("/api/v1/triggers/collect_and_cleanup/enable", "");
  ASSERT_EQ(e.status, 200) << e.describe();
  EXPECT_EQ(e.json()["enabled"], true);
  EXPECT_TRUE(e.json().contains("next_fire")) << e.describe();
}

TEST_F(workflows_test, every_second_trigger_reports_003s_ok_event) {
  put_workflow("tick", json::parse(R"({"name": "Tick", "steps": [
      {"name": "say", "emit": {"name": "tick.said", "data": {"at": "${input.when}"}}}]})"));
  put_trigger("each-second", {{"type", "schedule"},
                              {"name", "every second"},
                              {"every", "1s"},
                              {"workflow", "tick"},
                              {"input", {{"when", "${fire_time}"}}}});
  auto ok = wait_events("trigger.schedule.ok", 1);
  ASSERT_GE(ok.size(), 1u);
  const auto& d = ok[0]["data"];
  for (auto f :
       {"schedule_id", "schedule_name", "flow_id", "flow_name", "inputs",
        "outputs", "duration_ms", "ok", "error", "status", "status_msg"})
    EXPECT_TRUE(d.contains(f)) << f << " missing: " << d.dump();
  EXPECT_EQ(d["schedule_id"], "each-second");
  EXPECT_EQ(d["schedule_name"], "every second");
  EXPECT_EQ(d["flow_id"], "tick");
  EXPECT_EQ(d["flow_name"], "Tick");
  EXPECT_EQ(d["ok"], true);
  EXPECT_EQ(d["outputs"], 1);
  EXPECT_EQ(d["status"], "unknown");
  // The input carried the instant: a whole second, RFC 3339 UTC.
  auto said = events("tick.said");
  ASSERT_GE(said.size(), 1u);
  auto at = said[0]["data"]["at"].get<std::string>();
  EXPECT_EQ(at.size(), 20u) << at;
  EXPECT_EQ(at.back(), 'Z');
  auto st = http().get("/api/v1/triggers/each-second").json();
  EXPECT_EQ(st["enabled"], true);
  EXPECT_TRUE(st.contains("last_fire")) << st.dump();
  EXPECT_TRUE(st.contains("next_fire")) << st.dump();
  EXPECT_GE(st["fires"].get<int>(), 1);
  // Disabling stops it: its state says so.
  auto off = http().post("/api/v1/triggers/each-second/disable", "");
  ASSERT_EQ(off.status, 200) << off.describe();
  EXPECT_EQ(off.json()["enabled"], false);
}

TEST_F(workflows_test,
       unrenderable_input_disables_a_schedule_not_an_event_trigger) {
  put_workflow("w", json::parse(R"({"steps": [{"emit": {"name": "w.ran"}}]})"));
  // The same fault in both: the input does not render to JSON.
  put_trigger("sched", {{"type", "schedule"},
                        {"every", "1s"},
                        {"workflow", "w"},
                        {"input_template", "not json ${fire_time}"}});
  auto failed = wait_events("trigger.schedule.failed", 1);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["data"]["trigger_id"], "sched");
  EXPECT_EQ(failed[0]["data"]["flow_id"], "w");
  auto error = failed[0]["data"]["error"].get<std::string>();
  EXPECT_EQ(error.rfind("failed to prepare input data: ", 0), 0u) << error;
  auto disabled = wait_events("trigger.schedule.disabled", 1);
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0]["data"]["trigger_id"], "sched");
  EXPECT_EQ(disabled[0]["data"]["flow_id"], "w");
  EXPECT_EQ(disabled[0]["data"]["reason"], error);
  EXPECT_LT(failed[0]["seq"], disabled[0]["seq"]); // failed comes first
  auto st = http().get("/api/v1/triggers/sched").json();
  EXPECT_EQ(st["enabled"], false);
  EXPECT_EQ(st["disabled_reason"], error);
  EXPECT_EQ(st["failures"], 1);

  put_trigger("ev", {{"type", "event"},
                     {"event", "probe.*"},
                     {"workflow", "w"},
                     {"input_template", "not json ${event.name}"}});
  for (int i = 1; i <= 3; ++i) {
    auto p = http().post_json(events_path,
                              {{"name", "probe.x"}, {"source", "test"}});
    ASSERT_TRUE(p.ok()) << p.describe();
    // Each event fails again: the trigger was not disabled by the one
    // before (a disabled trigger would not report this failure).
    auto ev_failed = wait_events("trigger.event.failed", i);
    ASSERT_EQ(ev_failed.size(), static_cast<size_t>(i));
    EXPECT_EQ(ev_failed[i - 1]["data"]["trigger_id"], "ev");
    EXPECT_EQ(ev_failed[i - 1]["data"]["event_id"], p.json()["id"]);
  }
  EXPECT_TRUE(events("trigger.event.disabled").empty());
  EXPECT_EQ(http().get("/api/v1/triggers/ev").json()["enabled"], true);
  EXPECT_TRUE(events("w.ran").empty());
}

TEST_F(workflows_test,
       event_trigger_runs_by_priority_and_ignores_its_own_events) {
  put_workflow("echo", json::parse(R"({"overlap": "parallel", "steps": [
      {"emit": {"name": "loop.again", "data": {"from": "${event.id}"}}}]})"));
  put_workflow("other", json::parse(R"({"overlap": "parallel", "steps": [
      {"emit": {"name": "other.ran"}}]})"));
  // echo's workflow emits the very event its trigger listens to.
  put_trigger("low", {{"type", "event"},
                      {"event", "loop.>"},
                      {"priority", 1},
                      {"workflow", "other"}});
  put_trigger("high", {{"type", "event"},
                       {"event", "loop.>"},
                       {"priority", 9},
                       {"workflow", "echo"}});
  auto p = http().post_json(events_path,
                            {{"name", "loop.start"}, {"source", "test"}});
  ASSERT_TRUE(p.ok()) << p.describe();
  auto ok = wait_events("trigger.event.ok", 3);
  // loop.start fires high and low; loop.again (emitted by echo) fires only
  // low (high's own workflow caused it); other.ran matches nothing.
  ASSERT_EQ(ok.size(), 3u);
  auto started = events("task_started");
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[0]["data"]["trigger_id"], "high");
  EXPECT_EQ(started[1]["data"]["trigger_id"], "low");
  // Sentinel: an event after the cascade; once it has fired both
  // triggers, nothing more came from the loop.
  auto s = http().post_json(events_path,
                            {{"name", "loop.sentinel"}, {"source", "test"}});
  ASSERT_TRUE(s.ok());
  auto all = wait_events("trigger.event.ok", 6);
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(events("loop.again").size(), 2u);
  const auto& d = ok[0]["data"];
  for (auto f : {"trigger_id", "trigger_name", "trigger_priority", "flow_id",
                 "flow_name", "inputs", "outputs", "duration_ms", "ok", "error",
                 "event_id", "event_type", "status", "status_msg"})
    EXPECT_TRUE(d.contains(f)) << f << " missing: " << d.dump();
}

TEST_F(workflows_test, previews_follow_the_dst_rule) {
  put_workflow("w", json::parse(R"({"steps": [{"emit": {"name": "w.x"}}]})"));
  put_trigger("berlin", {{"type", "schedule"},
                         {"cron", "30 2 * * *"},
                         {"timezone", "Europe/Berlin"},
                         {"workflow", "w"},
                         {"enabled", false}});
  auto r =
      http().get(with_query("/api/v1/triggers/berlin/preview",
                            {{"n", "3"}, {"from", "2026-03-28T00:00:00Z"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  // 02:30 does not exist on 29 March: once, at the transition (01:00Z).
  EXPECT_EQ(r.json()["fires"],
            json({"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z",
                  "2026-03-30T00:30:00Z"}));
  put_trigger("ny", {{"type", "schedule"},
                     {"cron", "30 1 * * *"},
                     {"timezone", "America/New_York"},
                     {"workflow", "w"},
                     {"enabled", false}});
  r = http().get(with_query("/api/v1/triggers/ny/preview",
                            {{"n", "3"}, {"from", "2026-10-31T00:00:00Z"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  // 01:30 happens twice on 1 November: the first one only.
  EXPECT_EQ(r.json()["fires"],
            json({"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z",
                  "2026-11-02T06:30:00Z"}));
  put_trigger("ny-hourly", {{"type", "schedule"},
                            {"cron", "30 * * * *"},
                            {"timezone", "America/New_York"},
                            {"workflow", "w"},
                            {"enabled", false}});
  r = http().get(with_query("/api/v1/triggers/ny-hourly/preview",
                            {{"n", "3"}, {"from", "2026-11-01T05:00:00Z"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  // Not fixed-time: both 01:30s fire.
  EXPECT_EQ(r.json()["fires"],
            json({"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
                  "2026-11-01T07:30:00Z"}));
  EXPECT_TRUE(
      is_api_error(http().get("/api/v1/triggers/ny/preview?from=yesterday"),
                   400, {"invalid_time"}, "from"));
}

TEST_F(workflows_test, bad_definitions_are_refused_naming_the_field) {
  auto bad_wf = [&](const json& doc, std::optional<std::string_view> field) {
    auto r = http().put_json("/api/v1/workflows/bad", doc);
    EXPECT_TRUE(
        is_api_error(r, 0,
                     {"invalid_field", "unknown_field", "missing_field",
                      "invalid_pattern", "invalid_filter", "invalid_json"},
                     field))
        << doc.dump();
  };
  auto emit = json{{"emit", {{"name", "a.b"}}}};
  bad_wf({{"steps",
           {{{"name", "x"},
             {"emit", {{"name", "a"}, {"data", "${nothing.x}"}}}}}}},
         "/steps/0/emit/data");
  bad_wf({{"steps",
           {{{"name", "x"}, {"emit", {{"name", "a"}}}},
            {{"name", "x"}, {"emit", {{"name", "b"}}}}}}},
         "/steps/1/name");
  bad_wf({{"steps", {{{"name", "x"}, {"teleport", json::object()}}}}},
         std::nullopt /* the helper picks the field of an unknown kind */);
  bad_wf({{"steps",
           {{{"name", "x"}, {"emit", {{"name", "a"}}}, {"timeout", "0s"}}}}},
         "/steps/0/timeout");
  bad_wf({{"steps",
           {{{"name", "x"}, {"emit", {{"name", "a"}}}, {"timeout", "400d"}}}}},
         "/steps/0/timeout");
  bad_wf({{"steps", {{{"name", "x"}, {"http", {{"url", "ftp//nowhere"}}}}}}},
         "/steps/0/http/url");
  bad_wf({{"input_schema", "object"}, {"steps", {emit}}}, "/input_schema");
  EXPECT_EQ(http().get("/api/v1/workflows/bad").status, 404); // nothing stored

  auto bad_trigger = [&](json doc, std::optional<std::string_view> field) {
    auto r = http().put_json("/api/v1/triggers/badt", doc);
    EXPECT_TRUE(is_api_error(r, 0,
                             {"invalid_field", "unknown_field", "missing_field",
                              "invalid_pattern", "invalid_filter"},
                             field))
        << doc.dump() << " " << r.describe();
  };
  put_workflow("w", json::parse(R"({"steps": [{"emit": {"name": "w.x"}}]})"));
  bad_trigger({{"type", "schedule"}, {"cron", "61 * * * *"}, {"workflow", "w"}},
              "/cron");
  bad_trigger({{"type", "schedule"}, {"cron", "@often"}, {"workflow", "w"}},
              "/cron");
  bad_trigger({{"type", "schedule"},
               {"cron", "0 * * * *"},
               {"timezone", "Nowhere/City"},
               {"workflow", "w"}},
              "/timezone");
  bad_trigger({{"type", "schedule"}, {"every", "0s"}, {"workflow", "w"}},
              "/every");
  bad_trigger({{"type", "schedule"}, {"every", "500ms"}, {"workflow", "w"}},
              "/every");
  bad_trigger({{"type", "event"}, {"event", "a..b"}, {"workflow", "w"}},
              "/event");
  bad_trigger({{"type", "event"},
               {"event", "a.b"},
               {"filter", {{"x", "notalist"}}},
               {"workflow", "w"}},
              std::nullopt);
  bad_trigger({{"type", "event"}, {"event", "a.b"}, {"workflow", "missing"}},
              "/workflow");
  bad_trigger({{"type", "event"},
               {"event", "a.b"},
               {"workflow", "w"},
               {"input", {{"x", "${steps.a.output}"}}}},
              "/input/x");
  EXPECT_EQ(http().get("/api/v1/triggers/badt").status, 404);
  auto pt = http().post_json("/api/v1/patterns/test",
                             {{"pattern", "iam.*.created"},
                              {"filter", {{"tenant", {"acme"}}}},
                              {"event",
                               {{"name", "iam.user.created"},
                                {"source", "iam"},
                                {"tenant", "acme"}}}});
  ASSERT_EQ(pt.status, 200) << pt.describe();
  EXPECT_EQ(pt.json()["match"], true);
  pt = http().post_json(
      "/api/v1/patterns/test",
      {{"pattern", "iam.*.created"},
       {"event", {{"name", "iam.user.deleted"}, {"source", "iam"}}}});
  EXPECT_EQ(pt.json()["match"], false);
  EXPECT_TRUE(is_api_error(
      http().post_json("/api/v1/patterns/test",
                       {{"pattern", "a.>.b"}, {"event", {{"name", "a"}}}}),
      400, {"invalid_pattern"}, "/pattern"));
}

/// A TCP port that accepts connections and never answers (an http step
/// waits on it until the node is killed).
class silent_server {
public:
  silent_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~silent_server() { ::close(fd_); }
  uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST_F(workflows_test, tasks_survive_kill9_resumed_or_failed_with_a_reason) {
  silent_server silent;
  put_workflow("waits", json::parse(R"({"steps": [
      {"name": "first", "emit": {"name": "waits.first"}},
      {"name": "await", "wait_for_event": {"name": "go.ahead"}, "timeout": "5m"},
      {"name": "last", "emit": {"name": "waits.last"}}]})"));
  put_workflow("calls",
               {{"steps",
                 {{{"name", "call"},
                   {"http",
                    {{"method", "POST"},
                     {"url", "http://127.0.0.1:" +
                                 std::to_string(silent.port()) + "/hook"}}},
                   {"timeout", "5m"}}}}});
  auto w = http().post_json("/api/v1/workflows/waits/run", json::object());
  ASSERT_EQ(w.status, 202) << w.describe();
  auto c = http().post_json("/api/v1/workflows/calls/run", json::object());
  ASSERT_EQ(c.status, 202) << c.describe();
  const auto waits_id = w.json()["task_id"].get<std::string>();
  const auto calls_id = c.json()["task_id"].get<std::string>();
  // Both are at their waiting step (persisted as running there).
  ASSERT_TRUE(wait_for(
      [&] {
        auto a = http().get("/api/v1/tasks/" + waits_id).json();
        auto b = http().get("/api/v1/tasks/" + calls_id).json();
        return a["steps"][1]["state"] == "running" &&
               b["steps"][0]["state"] == "running";
      },
      15s));
  node().kill9();
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());

  auto calls = wait_task_end(calls_id);
  EXPECT_EQ(calls["state"], "failed") << calls.dump();
  EXPECT_NE(calls["error"].get<std::string>().find("restart"),
            std::string::npos)
      << calls.dump();
  // The waiting task resumed: the event it waits for lets it finish.
  auto go =
      http().post_json(events_path, {{"name", "go.ahead"}, {"source", "t"}});
  ASSERT_TRUE(go.ok());
  auto waits = wait_task_end(waits_id);
  EXPECT_EQ(waits["state"], "succeeded") << waits.dump();
  EXPECT_EQ(events("waits.first").size(), 1u); // not emitted twice
  EXPECT_EQ(events("waits.last").size(), 1u);
  EXPECT_EQ(events("task_started").size(), 2u);
}

TEST_F(workflows_test, cancel_ends_a_waiting_task) {
  put_workflow("waits", json::parse(R"({"steps": [
      {"name": "await", "wait_for_event": {"name": "never.comes"}, "timeout": "5m"}]})"));
  auto w = http().post_json("/api/v1/workflows/waits/run", json::object());
  ASSERT_EQ(w.status, 202);
  const auto id = w.json()["task_id"].get<std::string>();
  ASSERT_TRUE(wait_for(
      [&] {
        return http().get("/api/v1/tasks/" + id).json()["steps"][0]["state"] ==
               "running";
      },
      15s));
  auto r = http().post("/api/v1/tasks/" + id + "/cancel", "");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto t = wait_task_end(id);
  EXPECT_EQ(t["state"], "cancelled");
  EXPECT_TRUE(is_api_error(http().post("/api/v1/tasks/" + id + "/cancel", ""),
                           409, {"conflict"}, "id"));
  EXPECT_TRUE(is_api_error(http().post("/api/v1/tasks/nope/cancel", ""), 404,
                           {"not_found"}, "id"));
}

TEST_F(workflows_test, a_restart_neither_loses_nor_repeats_a_fire) {
  put_workflow("tick", json::parse(R"({"overlap": "parallel", "steps": [
      {"name": "say", "emit": {"name": "tick.said", "data": {"at": "${input.at}"}}}]})"));
  put_trigger("each-second", {{"type", "schedule"},
                              {"every", "1s"},
                              {"catch_up", "all"},
                              {"workflow", "tick"},
                              {"input", {{"at", "${fire_time}"}}}});
  ASSERT_GE(wait_events("tick.said", 2).size(), 2u);
  node().kill9();
  const auto killed_at = runtime_now_s();
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  // Fires after the restart, beyond the instants missed while down.
  std::vector<json> said;
  ASSERT_TRUE(wait_for(
      [&] {
        said = events("tick.said");
        for (const auto& e : said)
          if (unix_s(e["data"]["at"].get<std::string>()) >= killed_at + 2)
            return true;
        return false;
      },
      20s));
  // Every second from the first fire to the last, each exactly once.
  std::vector<int64_t> at;
  for (const auto& e : said)
    at.push_back(unix_s(e["data"]["at"].get<std::string>()));
  std::sort(at.begin(), at.end());
  for (size_t i = 1; i < at.size(); ++i)
    EXPECT_EQ(at[i], at[i - 1] + 1) << "around " << at[i];
}

TEST_F(workflows_test, definitions_honour_if_match) {
  const auto doc = json::parse(R"({"steps": [{"emit": {"name": "w.x"}}]})");
  // `If-Match: *` changes only what exists.
  EXPECT_TRUE(is_api_error(
      http().put_json("/api/v1/workflows/w", doc, {{"If-Match", "*"}}), 409,
      {"conflict"}, "If-Match"));
  EXPECT_EQ(http().get("/api/v1/workflows/w").status, 404);
  auto first =
      http().put_json("/api/v1/workflows/w", doc, {{"If-None-Match", "*"}});
  ASSERT_EQ(first.status, 201) << first.describe();
  EXPECT_EQ(first.header("etag"), "\"1\"");
  auto second =
      http().put_json("/api/v1/workflows/w", doc, {{"If-Match", "*"}});
  ASSERT_EQ(second.status, 200) << second.describe();
  EXPECT_TRUE(is_api_error(
      http().put_json("/api/v1/workflows/w", doc, {{"If-Match", "\"1\""}}), 409,
      {"conflict"}, "If-Match"));
  EXPECT_TRUE(is_api_error(http().request("DELETE", "/api/v1/workflows/w", {},
                                          {{"If-Match", "\"1\""}}),
                           409, {"conflict"}, "If-Match"));
  EXPECT_EQ(
      http()
          .request("DELETE", "/api/v1/workflows/w", {}, {{"If-Match", "\"2\""}})
          .status,
      204);
  EXPECT_EQ(http().get("/api/v1/workflows/w").status, 404);
}

class tasks_kept_test : public workflows_test {
protected:
  std::vector<std::string> node_args() const override {
    return {"--tasks-kept", "2"};
  }
};

TEST_F(tasks_kept_test, only_the_newest_ended_tasks_are_kept) {
  put_workflow(
      "quick",
      json::parse(
          R"({"overlap": "queue", "steps": [{"emit": {"name": "q.x"}}]})"));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = http().post_json("/api/v1/workflows/quick/run", json::object());
    ASSERT_EQ(r.status, 202) << r.describe();
    ids.push_back(r.json()["task_id"].get<std::string>());
    wait_task_end(ids.back());
  }
  // The two oldest records go; the two newest stay.
  ASSERT_TRUE(wait_for(
      [&] {
        return http().get("/api/v1/tasks/" + ids[0]).status == 404 &&
               http().get("/api/v1/tasks/" + ids[1]).status == 404;
      },
      10s));
  EXPECT_EQ(http().get("/api/v1/tasks/" + ids[2]).status, 200);
  EXPECT_EQ(http().get("/api/v1/tasks/" + ids[3]).status, 200);
  auto list = http().get("/api/v1/tasks").json()["tasks"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], ids[3]); // newest first
  // Their events stay in the trail.
  EXPECT_EQ(events("q.x").size(), 4u);
}

} // namespace
} // namespace herald::test
