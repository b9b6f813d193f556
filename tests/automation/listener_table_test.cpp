// The hub's pure core: who is connected, which actions wait for whom.

#include "actors/automation/listener_table.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::automation {
namespace {

using ids = std::vector<std::string>;

action_request req(std::string task, std::string step, std::string action,
                   std::string data = "{}") {
  action_request r;
  r.task_id = std::move(task);
  r.step = std::move(step);
  r.action = std::move(action);
  r.data_json = std::move(data);
  return r;
}

TEST(listener_table, connect_refuses_a_connected_id) {
  listener_table t;
  ASSERT_TRUE(t.connect("a", {"x"}, "ip", 1));
  auto again = t.connect("a", {"x"}, "ip", 2);
  ASSERT_FALSE(again);
  EXPECT_EQ(runtime::describe(again.error()).code, runtime::errc::conflict);
  EXPECT_EQ(runtime::describe(again.error()).field, "listener_id");
  EXPECT_TRUE(t.disconnect("a"));
  EXPECT_FALSE(t.disconnect("a"));
  EXPECT_TRUE(t.connect("a", {"x"}, "ip", 3));
}

TEST(listener_table, targets_are_the_connected_handlers) {
  listener_table t;
  t.connect("b", {"collect", "cleanup"}, "", 0);
  t.connect("a", {"collect"}, "", 0);
  t.connect("c", {"cleanup"}, "", 0);
  auto s = t.perform(req("t", "s", "collect"));
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->done);
  EXPECT_EQ(s->targets, (ids{"a", "b"}));
  EXPECT_TRUE(t.is_waiting_for("a", "t", "s"));
  EXPECT_FALSE(t.is_waiting_for("c", "t", "s"));
  auto none = t.perform(req("t", "s2", "merge"));
  ASSERT_TRUE(none && none->done);
  EXPECT_TRUE(none->done->ok);
  EXPECT_TRUE(none->done->listeners.empty());
  EXPECT_EQ(t.pending(), 1u);
}

TEST(listener_table, finishes_when_every_target_answered) {
  listener_table t;
  t.connect("a", {"x"}, "", 0);
  t.connect("b", {"x"}, "", 0);
  auto s = t.perform(req("t", "s", "x"));
  EXPECT_FALSE(t.answer("a", "t", "s", false, "boom"));
  EXPECT_FALSE(t.answer("a", "t", "s", true, "")) << "answered already";
  auto done = t.answer("b", "t", "s", true, "");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->serial, s->serial);
  EXPECT_FALSE(done->outcome.ok);
  EXPECT_EQ(done->outcome.error, "listener a: boom");
  EXPECT_EQ(done->outcome.listeners, (ids{"a", "b"}));
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_FALSE(t.expire(s->serial)) << "finished already";
}

TEST(listener_table, every_error_is_named) {
  listener_table t;
  t.connect("a", {"x"}, "", 0);
  t.connect("b", {"x"}, "", 0);
  t.perform(req("t", "s", "x"));
  t.answer("b", "t", "s", false, "");
  auto done = t.answer("a", "t", "s", false, "no disk");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome.error,
            "listener b: action_error; listener a: no disk");
}

TEST(listener_table, expire_names_who_did_not_answer_and_errors) {
  listener_table t;
  for (auto id : {"a", "b", "c"})
    t.connect(id, {"x"}, "", 0);
  auto s = t.perform(req("t", "s", "x"));
  t.answer("b", "t", "s", false, "bad");
  auto done = t.expire(s->serial);
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->outcome.ok);
  EXPECT_EQ(done->outcome.error, "timed out waiting for a, c; listener b: bad");
}

TEST(listener_table, a_disconnected_target_gets_its_actions_again) {
  listener_table t;
  t.connect("a", {"x", "y"}, "", 0);
  t.perform(req("t1", "s", "x", R"({"n":1})"));
  t.perform(req("t2", "s", "y"));
  t.disconnect("a");
  EXPECT_TRUE(t.is_waiting_for("a", "t1", "s"));
  EXPECT_TRUE(t.listeners().empty());
  auto owed = t.connect("a", {"x"}, "", 0);
  ASSERT_TRUE(owed);
  ASSERT_EQ(owed->size(), 2u) << "owed whatever it handles now";
  EXPECT_EQ((*owed)[0].task_id, "t1");
  EXPECT_EQ((*owed)[0].data_json, R"({"n":1})");
  EXPECT_EQ((*owed)[1].task_id, "t2");
  auto ls = t.listeners();
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].pending, 2u);
}

TEST(listener_table, abort_finishes_the_tasks_actions_only) {
  listener_table t;
  t.connect("a", {"x"}, "", 0);
  t.connect("b", {"x"}, "", 0);
  t.connect("c", {"x"}, "", 0);
  t.perform(req("t1", "s1", "x"));
  t.perform(req("t1", "s2", "x"));
  t.perform(req("t10", "s1", "x"));
  t.answer("a", "t1", "s1", true, "");
  t.disconnect("c");
  auto out = t.abort("t1");
  ASSERT_EQ(out.done.size(), 2u);
  for (auto& d : out.done) {
    EXPECT_FALSE(d.outcome.ok);
    EXPECT_EQ(d.outcome.error, "cancelled");
  }
  // s1: b (a answered, c is not connected); s2: a, b.
  ASSERT_EQ(out.notices.size(), 3u);
  EXPECT_EQ(out.notices[0].listener_id, "b");
  EXPECT_EQ(out.notices[0].req.step, "s1");
  EXPECT_EQ(out.notices[1].listener_id, "a");
  EXPECT_EQ(out.notices[2].listener_id, "b");
  EXPECT_EQ(t.pending(), 1u) << "t10 is another task";
  EXPECT_TRUE(t.abort("t1").done.empty());
}

TEST(listener_table, the_same_step_cannot_wait_twice) {
  listener_table t;
  t.connect("a", {"x"}, "", 0);
  ASSERT_TRUE(t.perform(req("t", "s", "x")));
  auto twice = t.perform(req("t", "s", "x"));
  ASSERT_FALSE(twice);
  EXPECT_EQ(runtime::describe(twice.error()).code, runtime::errc::conflict);
}

TEST(listener_table, finish_all_ends_everything) {
  listener_table t;
  t.connect("a", {"x"}, "", 0);
  t.perform(req("t1", "s", "x"));
  t.perform(req("t2", "s", "x"));
  auto all = t.finish_all("listener hub stopped");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].outcome.error, "listener hub stopped");
  EXPECT_EQ(t.pending(), 0u);
}

} // namespace
} // namespace herald::automation
