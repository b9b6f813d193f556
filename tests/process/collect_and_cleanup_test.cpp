// Seed 000's collect_and_cleanup end to end: the built-in workflow run by
// its trigger with two real WebSocket listeners, one slow (it reports
// progress and takes its time) and one that fails its cleanup.

#include <atomic>
#include <thread>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

/// Seed 000's event sequence of one collect_and_cleanup run.
const std::vector<std::string> seed000_sequence{"pre_collect",
                                                "collect",
                                                "merge_outer_edges",
                                                "post_collect",
                                                "pre_cleanup_plan",
                                                "cleanup_plan",
                                                "post_cleanup_plan",
                                                "pre_cleanup",
                                                "cleanup",
                                                "post_cleanup",
                                                "pre_generate_metrics",
                                                "generate_metrics",
                                                "post_generate_metrics"};

/// A listener answering every action on its own thread until stopped.
class listener {
public:
  /// Sends the frames a listener sends back.
  using send_fn = std::function<void(const json&)>;
  /// `answer(action, send)` answers one action (on the listener's thread).
  listener(uint16_t port, const std::string& id, const std::string& handles,
           const ws_connect_options& opts,
           std::function<void(const json&, const send_fn&)> answer)
      : answer_(std::move(answer)) {
    auto up = ws_.connect(
        port, "/api/v1/listeners/" + id + "?handles=" + handles, opts);
    connected_ = up.status == 101;
    if (!connected_) {
      ADD_FAILURE() << "listener " << id << ": " << up.describe();
      return;
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        auto frame = ws_.read_json(200ms);
        if (!frame) {
          if (ws_.ended())
            return;
          continue;
        }
        if ((*frame).value("kind", "") != "action")
          continue;
        ++actions_;
        answer_(*frame,
                [this](const json& reply) { ws_.send_text(reply.dump()); });
      }
    });
  }
  ~listener() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
    ws_.close();
  }
  bool connected() const { return connected_; }
  int actions() const { return actions_; }

private:
  ws_client ws_;
  std::function<void(const json&, const send_fn&)> answer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> actions_{0};
  bool connected_ = false;
};

json reply(const json& action, const std::string& kind) {
  return json{
      {"kind", kind}, {"task_id", action["task_id"]}, {"step", action["step"]}};
}

class collect_and_cleanup_test : public process_test {};

TEST_F(collect_and_cleanup_test, runs_seed_000s_sequence_with_real_listeners) {
  const auto port = node().http_port();
  // Slow: reports progress and answers done only once that progress is in
  // the trail (a round trip through the node per action).
  const http_client trail = http();
  listener slow(
      port, "slow", "collect,cleanup", ws_options(),
      [trail](const json& a, const listener::send_fn& send) {
        auto p = reply(a, "progress");
        p["percent"] = 50;
        p["message"] = "halfway";
        send(p);
        wait_for(
            [&] {
              auto r = trail.get(with_query(
                  events_path, {{"name", "progress"}, {"limit", "1000"}}));
              if (r.status != 200)
                return false;
              for (const auto& e : r.json()["events"])
                if (e["data"]["step"] == a["step"] &&
                    e["data"]["task_id"] == a["task_id"])
                  return true;
              return false;
            },
            10s);
        send(reply(a, "action_done"));
      });
  // Failing: its cleanup fails at once.
  listener failing(port, "failing", "cleanup", ws_options(),
                   [](const json& a, const listener::send_fn& send) {
                     auto e = reply(a, "action_error");
                     e["error"] = "disk full";
                     send(e);
                   });
  ASSERT_TRUE(slow.connected() && failing.connected());
  // Each connect is announced (stored asynchronously by the hub).
  ASSERT_TRUE(wait_for(
      [&] {
        return query_all(http(), {{"name", "message-listener-connected"}})
                   .size() == 2;
      },
      10s));

  auto fire = http().post("/api/v1/triggers/collect_and_cleanup/fire", "");
  ASSERT_EQ(fire.status, 202) << fire.describe();
  const auto task_id = fire.json()["task_id"].get<std::string>();
  json task;
  ASSERT_TRUE(wait_for(
      [&] {
        auto r = http().get("/api/v1/tasks/" + task_id);
        task = r.json();
        return r.status == 200 && task.value("state", "") != "running";
      },
      30s))
      << task.dump();

  // The trail holds seed 000's sequence, in order, each once.
  std::vector<std::string> names;
  for (const auto& ev : query_all(http(), {}))
    if (std::find(seed000_sequence.begin(), seed000_sequence.end(),
                  ev["name"].get<std::string>()) != seed000_sequence.end()) {
      names.push_back(ev["name"].get<std::string>());
      EXPECT_EQ(ev["data"]["task_id"], task_id);
      EXPECT_EQ(ev["origin"]["workflow_id"], "collect_and_cleanup");
    }
  EXPECT_EQ(names, seed000_sequence);
  EXPECT_EQ(slow.actions(), 2);    // collect and cleanup
  EXPECT_EQ(failing.actions(), 1); // cleanup

  // The failing cleanup is the run's outcome; the run went on after it.
  EXPECT_EQ(task["state"], "failed") << task.dump();
  auto error = task["error"].get<std::string>();
  EXPECT_NE(error.find("cleanup"), std::string::npos) << error;
  EXPECT_NE(error.find("disk full"), std::string::npos) << error;
  EXPECT_NE(error.find("failing"), std::string::npos) << error;
  auto progress = query_all(http(), {{"name", "progress"}});
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0]["data"]["listener_id"], "slow");
  EXPECT_EQ(progress[0]["data"]["task_id"], task_id);
  EXPECT_EQ(progress[0]["data"]["step"], "collect");
  EXPECT_EQ(progress[0]["data"]["percent"], 50);
  EXPECT_EQ(progress[0]["data"]["message"], "halfway");
  auto started = query_all(http(), {{"name", "task_started"}});
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["data"]["trigger_id"], "collect_and_cleanup");
  auto ended = query_all(http(), {{"name", "task_end"}});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["data"]["state"], "failed");
  EXPECT_EQ(ended[0]["data"]["ok"], false);
  auto outcome = query_all(http(), {{"name", "trigger.schedule.error"}});
  ASSERT_EQ(outcome.size(), 1u);
  const auto& d = outcome[0]["data"];
  EXPECT_EQ(d["schedule_id"], "collect_and_cleanup");
  EXPECT_EQ(d["flow_id"], "collect_and_cleanup");
  EXPECT_EQ(d["ok"], false);
  EXPECT_EQ(d["error"], error);
  EXPECT_TRUE(query_all(http(), {{"name", "trigger.schedule.ok"}}).empty());
}

TEST_F(collect_and_cleanup_test,
       cancelling_a_task_aborts_its_action_at_the_listener) {
  auto w = http().put_json("/api/v1/workflows/slowjob", json::parse(R"({
      "steps": [{"name": "work", "perform_action": {"action": "crunch",
                 "data": {"size": 3}}, "timeout": "5m"}]})"));
  ASSERT_EQ(w.status, 201) << w.describe();
  ws_client ws;
  auto up =
      ws.connect(node().http_port(),
                 "/api/v1/listeners/cruncher?handles=crunch", ws_options());
  ASSERT_EQ(up.status, 101) << up.describe();
  auto r = http().post_json("/api/v1/workflows/slowjob/run", json::object());
  ASSERT_EQ(r.status, 202) << r.describe();
  const auto task_id = r.json()["task_id"].get<std::string>();
  auto action = ws.read_json(10s);
  ASSERT_TRUE(action);
  EXPECT_EQ((*action)["kind"], "action");
  EXPECT_EQ((*action)["action"], "crunch");
  EXPECT_EQ((*action)["task_id"], task_id);
  EXPECT_EQ((*action)["step"], "work");
  EXPECT_EQ((*action)["data"], json({{"size", 3}}));
  auto c = http().post("/api/v1/tasks/" + task_id + "/cancel", "");
  ASSERT_EQ(c.status, 200) << c.describe();
  auto abort = ws.read_json(10s);
  ASSERT_TRUE(abort);
  EXPECT_EQ((*abort)["kind"], "action_abort");
  EXPECT_EQ((*abort)["task_id"], task_id);
  EXPECT_EQ((*abort)["step"], "work");
  // A late answer for the cancelled step changes nothing.
  ws.send_text(
      json{{"kind", "action_done"}, {"task_id", task_id}, {"step", "work"}}
          .dump());
  json task;
  ASSERT_TRUE(wait_for(
      [&] {
        task = http().get("/api/v1/tasks/" + task_id).json();
        return task.value("state", "") != "running";
      },
      10s));
  EXPECT_EQ(task["state"], "cancelled");
  EXPECT_EQ(task["steps"][0]["state"], "cancelled");
  // The listener stays connected and usable: the sentinel run's action
  // reaches it.
  auto again =
      http().post_json("/api/v1/workflows/slowjob/run", json::object());
  ASSERT_EQ(again.status, 202) << again.describe();
  auto next = ws.read_json(10s);
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)["task_id"], again.json()["task_id"]);
  auto m = http().get("/metrics").body;
  EXPECT_NE(m.find("herald_listeners_connected 1"), std::string::npos);
}

} // namespace
} // namespace herald::test
