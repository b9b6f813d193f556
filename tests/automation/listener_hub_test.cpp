// The listener hub (DESIGN §4, §5) on CAF's deterministic scheduler, with a
// real writer over a temp event_store: events are read back from the store,
// frames from each connection's sink.

#include "actors/automation/listener_hub.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/automation/listener_sink_actor.hpp"
#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
using automation::action_outcome;
using automation::action_request;
using automation::listener_info;
using json = nlohmann::json;

/// One listener connection as the session would hold it.
struct connection {
  std::shared_ptr<actors::stream_sink> sink;
  automation::listener_sink_actor actor;

  /// Every frame queued so far, parsed.
  std::vector<json> frames() {
    std::vector<actors::stream_frame> popped;
    while (sink->pop(popped, 100)) {
    }
    sink->mark_written(popped.size());
    std::vector<json> out;
    for (auto& f : popped)
      out.push_back(json::parse(*f.text));
    return out;
  }
};

class listener_hub_test : public actor_fixture {
protected:
  void SetUp() override {
    node_ = spawn_test_node();
    hub_ = automation::spawn_listener_hub(sys(), node_.writer);
    run();
  }

  void TearDown() override {
    caf::anon_send_exit(hub_, caf::exit_reason::user_shutdown);
    for (auto& c : connections_)
      caf::anon_send_exit(c.actor, caf::exit_reason::user_shutdown);
    run();
  }

  connection open(size_t max_frames = 100) {
    connection c;
    c.sink = std::make_shared<actors::stream_sink>(max_frames, 1u << 20);
    c.actor = automation::spawn_listener_sink(sys(), c.sink);
    connections_.push_back(c);
    run();
    return c;
  }

  /// Connects `id` over `c`; the hub's reply (after running until idle).
  caf::expected<bool> connect(const std::string& id,
                              std::vector<std::string> handles,
                              const connection& c,
                              std::string ip = "10.0.0.1") {
    auto slot = request<bool>(hub_, automation::connect_atom_v, id,
                              std::move(handles), std::move(ip), c.actor);
    run();
    if (!slot->value)
      return caf::make_error(caf::sec::request_timeout);
    return *slot->value;
  }

  /// Connects `id` on a fresh connection (the test fails if refused).
  connection listener(const std::string& id, std::vector<std::string> handles,
                      size_t max_frames = 100) {
    auto c = open(max_frames);
    auto ok = connect(id, std::move(handles), c);
    EXPECT_TRUE(ok) << caf::to_string(ok.error());
    return c;
  }

  std::shared_ptr<reply_slot<action_outcome>> perform(const std::string& task,
                                                      const std::string& step,
                                                      const std::string& action,
                                                      int64_t timeout_ms = 0,
                                                      std::string data = "{}") {
    action_request req;
    req.task_id = task;
    req.step = step;
    req.action = action;
    req.data_json = std::move(data);
    req.timeout_ms = timeout_ms;
    auto slot = request<action_outcome>(hub_, automation::perform_atom_v, req);
    run();
    return slot;
  }

  void answer(const std::string& id, const std::string& task,
              const std::string& step, bool ok, std::string error = {}) {
    caf::anon_send(hub_, automation::done_atom_v, id, task, step, ok,
                   std::move(error));
    run();
  }

  void disconnect(const std::string& id, const std::string& reason) {
    caf::anon_send(hub_, automation::disconnect_atom_v, id, reason);
    run();
  }

  std::vector<listener_info> listeners() {
    auto slot =
        request<std::vector<listener_info>>(hub_, automation::listeners_atom_v);
    run();
    return slot->get();
  }

  /// The data of every stored event named `name`, in seq order.
  std::vector<json> stored(const std::string& name) {
    std::vector<json> out;
    for (uint64_t seq = 1; seq <= store().last_seq(); ++seq) {
      auto ev = store().get_by_seq(seq);
      if (ev && *ev && (*ev)->name() == name) {
        EXPECT_EQ((*ev)->source(), "herald");
        EXPECT_EQ((*ev)->kind(), v1::KIND_SYS);
        out.push_back(json::parse((*ev)->data_json()));
      }
    }
    return out;
  }

  actors::node_handles node_;
  automation::listener_hub_actor hub_;
  std::vector<connection> connections_;
};

TEST_F(listener_hub_test, connect_emits_connected_event_with_id_handles_ip) {
  listener("L1", {"collect", "cleanup"});
  auto events = stored("message-listener-connected");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["listener_id"], "L1");
  EXPECT_EQ(events[0]["handles"], json({"cleanup", "collect"}));
  EXPECT_EQ(events[0]["ip"], "10.0.0.1");
  auto ls = listeners();
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].id, "L1");
  EXPECT_EQ(ls[0].ip, "10.0.0.1");
  EXPECT_GT(ls[0].connected_ns, 0);
  EXPECT_EQ(ls[0].pending, 0u);
}

TEST_F(listener_hub_test, a_connected_id_is_a_conflict_until_it_is_gone) {
  listener("L1", {"collect"});
  auto second = open();
  auto refused = connect("L1", {"collect"}, second);
  ASSERT_FALSE(refused);
  auto err = runtime::describe(refused.error());
  EXPECT_EQ(err.code, runtime::errc::conflict);
  EXPECT_EQ(err.field, "listener_id");
  EXPECT_EQ(stored("message-listener-connected").size(), 1u);
  disconnect("L1", "closed by listener");
  EXPECT_TRUE(connect("L1", {"collect"}, second));
  EXPECT_EQ(stored("message-listener-connected").size(), 2u);
}

TEST_F(listener_hub_test, an_action_goes_only_to_handlers_connected_then) {
  auto l1 = listener("L1", {"collect"});
  auto l2 = listener("L2", {"cleanup"});
  auto res = perform("t1", "collect", "collect", 0, R"({"region":"eu"})");
  auto later = listener("L3", {"collect"});
  auto f1 = l1.frames();
  ASSERT_EQ(f1.size(), 1u);
  EXPECT_EQ(f1[0], json({{"kind", "action"},
                         {"action", "collect"},
                         {"task_id", "t1"},
                         {"step", "collect"},
                         {"data", {{"region", "eu"}}}}));
  EXPECT_TRUE(l2.frames().empty());
  EXPECT_TRUE(later.frames().empty()) << "connected after the action";
  answer("L3", "t1", "collect", true); // not a target: ignored
  EXPECT_FALSE(res->ready());
  answer("L1", "t1", "collect", true);
  ASSERT_TRUE(res->ok());
  EXPECT_TRUE(res->get().ok);
  EXPECT_EQ(res->get().listeners, std::vector<std::string>{"L1"});
}

TEST_F(listener_hub_test, all_done_is_ok) {
  auto l1 = listener("L1", {"collect"});
  auto l2 = listener("L2", {"collect"});
  auto res = perform("t1", "s1", "collect");
  EXPECT_EQ(l1.frames().size(), 1u);
  EXPECT_EQ(l2.frames().size(), 1u);
  answer("L2", "t1", "s1", true);
  EXPECT_FALSE(res->ready()) << "L1 has not answered";
  auto ls = listeners();
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0].pending, 1u);
  EXPECT_EQ(ls[1].pending, 0u);
  answer("L1", "t1", "s1", true);
  ASSERT_TRUE(res->ok());
  EXPECT_TRUE(res->get().ok);
  EXPECT_EQ(res->get().error, "");
  EXPECT_EQ(res->get().listeners, (std::vector<std::string>{"L1", "L2"}));
}

TEST_F(listener_hub_test, one_action_error_fails_naming_the_listener) {
  listener("L1", {"collect"});
  listener("L2", {"collect"});
  auto res = perform("t1", "s1", "collect");
  answer("L1", "t1", "s1", false, "disk full");
  EXPECT_FALSE(res->ready()) << "L2 still answers";
  answer("L2", "t1", "s1", true);
  ASSERT_TRUE(res->ok());
  EXPECT_FALSE(res->get().ok);
  EXPECT_EQ(res->get().error, "listener L1: disk full");
}

TEST_F(listener_hub_test, timeout_names_who_did_not_answer) {
  listener("L1", {"collect"});
  listener("L2", {"collect"});
  listener("L3", {"collect"});
  auto res = perform("t1", "s1", "collect", 1000);
  answer("L2", "t1", "s1", true);
  advance_time(999ms);
  run();
  EXPECT_FALSE(res->ready());
  advance_time(2ms);
  run();
  ASSERT_TRUE(res->ok());
  EXPECT_FALSE(res->get().ok);
  EXPECT_EQ(res->get().error, "timed out waiting for L1, L3");
  EXPECT_EQ(res->get().listeners, (std::vector<std::string>{"L1", "L2", "L3"}));
}

TEST_F(listener_hub_test, no_handler_completes_at_once) {
  auto l1 = listener("L1", {"cleanup"});
  auto res = perform("t1", "s1", "collect", 1000);
  ASSERT_TRUE(res->ok());
  EXPECT_TRUE(res->get().ok);
  EXPECT_TRUE(res->get().listeners.empty());
  EXPECT_TRUE(l1.frames().empty());
}

TEST_F(listener_hub_test, reconnect_with_same_id_gets_the_pending_action) {
  auto first = listener("L1", {"collect"});
  listener("L2", {"collect"});
  auto res = perform("t1", "s1", "collect", 0, R"({"n":1})");
  EXPECT_EQ(first.frames().size(), 1u);
  answer("L2", "t1", "s1", true);
  disconnect("L1", "closed by listener");
  EXPECT_FALSE(res->ready()) << "a disconnect does not fail the action";
  auto gone = stored("message-listener-disconnected");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0],
            json({{"listener_id", "L1"}, {"reason", "closed by listener"}}));
  auto again = listener("L1", {"collect"});
  auto frames = again.frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]["kind"], "action");
  EXPECT_EQ(frames[0]["task_id"], "t1");
  EXPECT_EQ(frames[0]["step"], "s1");
  EXPECT_EQ(frames[0]["data"], json({{"n", 1}}));
  answer("L1", "t1", "s1", true);
  ASSERT_TRUE(res->ok());
  EXPECT_TRUE(res->get().ok);
}

TEST_F(listener_hub_test, abort_sends_action_abort_and_answers_cancelled) {
  auto l1 = listener("L1", {"collect", "cleanup"});
  auto l2 = listener("L2", {"collect"});
  auto res = perform("t1", "s1", "collect");
  auto other = perform("t2", "s1", "cleanup");
  answer("L2", "t1", "s1", true);
  l1.frames();
  l2.frames();
  caf::anon_send(hub_, automation::abort_atom_v, std::string{"t1"});
  run();
  ASSERT_TRUE(res->ok());
  EXPECT_FALSE(res->get().ok);
  EXPECT_EQ(res->get().error, "cancelled");
  auto f1 = l1.frames();
  ASSERT_EQ(f1.size(), 1u);
  EXPECT_EQ(f1[0], json({{"kind", "action_abort"},
                         {"action", "collect"},
                         {"task_id", "t1"},
                         {"step", "s1"}}));
  EXPECT_TRUE(l2.frames().empty()) << "L2 had answered";
  EXPECT_FALSE(other->ready()) << "another task is not touched";
}

TEST_F(listener_hub_test, late_and_unknown_answers_are_ignored) {
  listener("L1", {"collect"});
  listener("L2", {"collect"});
  auto res = perform("t1", "s1", "collect", 1000);
  advance_time(2s);
  run();
  ASSERT_TRUE(res->ok());
  EXPECT_EQ(res->get().error, "timed out waiting for L1, L2");
  answer("L1", "t1", "s1", true);        // late
  answer("L2", "t9", "s1", false, "no"); // unknown task
  auto next = perform("t1", "s2", "collect");
  answer("L1", "t1", "s1", true); // still the old step: ignored
  EXPECT_FALSE(next->ready());
  answer("L1", "t1", "s2", true);
  answer("L1", "t1", "s2", false, "twice"); // a second answer: ignored
  answer("L2", "t1", "s2", true);
  ASSERT_TRUE(next->ok());
  EXPECT_TRUE(next->get().ok);
}

TEST_F(listener_hub_test, progress_emits_an_event_with_its_fields) {
  listener("L1", {"collect"});
  listener("L2", {"cleanup"});
  auto res = perform("t1", "s1", "collect");
  caf::anon_send(hub_, automation::progress_atom_v, std::string{"L1"},
                 std::string{"t1"}, std::string{"s1"}, 42.5,
                 std::string{"half way"});
  // Not L2's action, and no percent/message given by L1 the second time.
  caf::anon_send(hub_, automation::progress_atom_v, std::string{"L2"},
                 std::string{"t1"}, std::string{"s1"}, 10.0, std::string{});
  caf::anon_send(hub_, automation::progress_atom_v, std::string{"L1"},
                 std::string{"t1"}, std::string{"s1"}, -1.0, std::string{});
  run();
  auto events = stored("progress");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], json({{"task_id", "t1"},
                             {"step", "s1"},
                             {"listener_id", "L1"},
                             {"percent", 42.5},
                             {"message", "half way"}}));
  EXPECT_EQ(events[1],
            json({{"task_id", "t1"}, {"step", "s1"}, {"listener_id", "L1"}}));
  answer("L1", "t1", "s1", true);
  caf::anon_send(hub_, automation::progress_atom_v, std::string{"L1"},
                 std::string{"t1"}, std::string{"s1"}, 100.0, std::string{});
  run();
  EXPECT_EQ(stored("progress").size(), 2u) << "after the answer: ignored";
}

TEST_F(listener_hub_test, sink_down_is_a_disconnect) {
  auto l1 = listener("L1", {"collect"});
  caf::anon_send_exit(l1.actor, caf::exit_reason::user_shutdown);
  run();
  auto gone = stored("message-listener-disconnected");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0],
            json({{"listener_id", "L1"}, {"reason", "connection closed"}}));
  EXPECT_TRUE(listeners().empty());
}

TEST_F(listener_hub_test, the_sessions_reason_wins_over_the_sink_down) {
  auto l1 = listener("L1", {"collect"});
  caf::anon_send(hub_, automation::disconnect_atom_v, std::string{"L1"},
                 std::string{"slow_consumer"});
  caf::anon_send_exit(l1.actor, caf::exit_reason::user_shutdown);
  run();
  auto gone = stored("message-listener-disconnected");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["reason"], "slow_consumer");
}

TEST_F(listener_hub_test, a_listener_that_does_not_read_is_closed) {
  auto l1 = listener("L1", {"collect"}, 2);
  for (int i = 0; i < 3; ++i)
    perform("t" + std::to_string(i), "s", "collect");
  auto closed = l1.sink->closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, 1008);
  EXPECT_EQ(closed->second, "slow_consumer");
}

TEST_F(listener_hub_test, bad_requests_are_errors) {
  listener("L1", {"collect"});
  auto bad = perform("t1", "s1", "collect", 0, "[1]");
  ASSERT_TRUE(bad->ready());
  EXPECT_EQ(runtime::describe(bad->error()).code, runtime::errc::invalid_field);
  auto first = perform("t1", "s1", "collect");
  auto twice = perform("t1", "s1", "collect");
  EXPECT_FALSE(first->ready());
  ASSERT_TRUE(twice->ready());
  EXPECT_EQ(runtime::describe(twice->error()).code, runtime::errc::conflict);
}

TEST_F(listener_hub_test, stopping_ends_actions_and_announces_listeners) {
  auto l1 = listener("L1", {"collect"});
  auto res = perform("t1", "s1", "collect");
  caf::anon_send_exit(hub_, caf::exit_reason::user_shutdown);
  run();
  // An error, not a failed outcome: the step did not fail, the node stops.
  ASSERT_TRUE(res->ready());
  ASSERT_FALSE(res->ok());
  EXPECT_EQ(runtime::describe(res->error()).code, runtime::errc::unavailable);
  auto gone = stored("message-listener-disconnected");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], json({{"listener_id", "L1"}, {"reason", "shutdown"}}));
  auto closed = l1.sink->closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->second, "shutdown");
}

TEST_F(listener_hub_test, stopping_waits_for_the_writes_in_flight) {
  listener("L1", {"collect"});
  auto down = std::make_shared<bool>(false);
  // Held: an actor nobody references is gone.
  auto watcher = sys().spawn([down, hub = hub_](caf::event_based_actor* self) {
    self->monitor(hub);
    self->set_down_handler([down](caf::down_msg&) { *down = true; });
    return caf::behavior{[](int) {}};
  });
  run();
  caf::anon_send(hub_, automation::disconnect_atom_v, std::string{"L1"},
                 std::string{"closed by listener"});
  ASSERT_TRUE(run_actor(hub_)); // the event goes to the writer
  caf::anon_send_exit(hub_, caf::exit_reason::user_shutdown);
  ASSERT_TRUE(run_actor(hub_)); // the exit: the write is still in flight
  run_actor(hub_);
  EXPECT_FALSE(*down) << "quit before the writer answered";
  run();
  EXPECT_TRUE(*down);
  auto gone = stored("message-listener-disconnected");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["reason"], "closed by listener");
}

} // namespace
} // namespace herald::test
