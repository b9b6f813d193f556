#include "actors/definition_actor.hpp"

#include <functional>
#include <map>
#include <mutex>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using protocol::definition;
using protocol::definition_change;
using protocol::definition_result;

/// A view that keeps what it was told, and can be made to fail.
class recording_view : public actors::definition_view {
public:
  std::vector<std::string> prefixes() const override { return {"user/"}; }
  caf::error load(const std::vector<definition>& defs) override {
    for (const auto& d : defs)
      table[d.key] = d.value;
    ++loads;
    return {};
  }
  caf::error apply(const std::string& key,
                   const std::optional<definition>& now) override {
    applied.push_back(key);
    if (on_apply)
      on_apply();
    if (fail_next) {
      fail_next = false;
      table.erase(key);
      return runtime::make_api_error(runtime::errc::invalid_field,
                                     "bad stored user", key);
    }
    if (now)
      table[key] = now->value;
    else
      table.erase(key);
    return {};
  }
  std::map<std::string, std::string> table;
  std::vector<std::string> applied;
  int loads = 0;
  bool fail_next = false;
  std::function<void()> on_apply;
};

class definition_actor_test : public actor_fixture {
protected:
  protocol::definitions_actor spawn(std::shared_ptr<recording_view> view,
                                    const actors::node_handles& node) {
    auto defs = actors::spawn_definitions(sys(), store_ptr(), node.writer,
                                          {view}, true);
    EXPECT_TRUE(defs);
    spawned_.push_back(caf::actor_cast<caf::actor>(*defs));
    return *defs;
  }
  ~definition_actor_test() override {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }
  std::shared_ptr<reply_slot<definition_result>>
  define(const protocol::definitions_actor& defs, std::string key,
         std::optional<std::string> value, std::optional<uint64_t> expect,
         std::vector<v1::Event> events = {}) {
    auto slot = request<definition_result>(
        defs, protocol::define_atom_v,
        definition_change{std::move(key), std::move(value), expect},
        std::move(events));
    run();
    return slot;
  }
  /// Stores a definition directly (as if written before the node started).
  bool commit_direct(std::string key, std::string value) {
    std::vector<v1::Event> none;
    return static_cast<bool>(store().commit_definition(
        {std::move(key), std::move(value), 0, std::nullopt}, none, "", 0));
  }
  std::vector<caf::actor> spawned_;
};

TEST_F(definition_actor_test, a_change_and_its_event_commit_together) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  auto res = define(defs, "user/ann", std::string{R"({"a":1})"}, uint64_t{0},
                    {make_event("user.created", "uc1")});
  ASSERT_TRUE(res->ok()) << caf::to_string(res->error());
  EXPECT_EQ(res->get().version, 1u);
  ASSERT_EQ(res->get().events.size(), 1u);
  EXPECT_EQ(res->get().events[0].id, "uc1");
  EXPECT_EQ(store().last_seq(), 1u) << "the event is in the trail";
  auto stored = store().get_definition("user/ann");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->value, R"({"a":1})");
}

TEST_F(definition_actor_test, views_see_a_change_before_its_reply) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  std::shared_ptr<reply_slot<definition_result>> slot;
  bool replied_before_view = true;
  view->on_apply = [&] { replied_before_view = slot->ready(); };
  slot = request<definition_result>(
      defs, protocol::define_atom_v,
      definition_change{"user/bo", std::string{"{}"}, std::nullopt},
      std::vector<v1::Event>{});
  run();
  ASSERT_TRUE(slot->ok());
  EXPECT_FALSE(replied_before_view);
  EXPECT_EQ(view->table.count("user/bo"), 1u);
  // A delete reaches the view as nullopt.
  auto del = define(defs, "user/bo", std::nullopt, std::nullopt);
  ASSERT_TRUE(del->ok());
  EXPECT_EQ(view->table.count("user/bo"), 0u);
}

TEST_F(definition_actor_test, keys_outside_a_views_prefixes_do_not_reach_it) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  ASSERT_TRUE(define(defs, "config/x", std::string{"1"}, std::nullopt)->ok());
  EXPECT_TRUE(view->applied.empty());
}

TEST_F(definition_actor_test, views_load_what_is_stored_at_spawn) {
  ASSERT_TRUE(commit_direct("user/cy", "{\"v\":2}"));
  ASSERT_TRUE(commit_direct("config/z", "3"));
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  spawn(view, node);
  EXPECT_EQ(view->loads, 1);
  ASSERT_EQ(view->table.size(), 1u) << "only its prefix";
  EXPECT_EQ(view->table["user/cy"], "{\"v\":2}");
}

TEST_F(definition_actor_test, a_stale_version_changes_nothing) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  ASSERT_TRUE(define(defs, "user/di", std::string{"1"}, uint64_t{0})->ok());
  auto stale = define(defs, "user/di", std::string{"2"}, uint64_t{0},
                      {make_event("user.updated", "uu1")});
  ASSERT_FALSE(stale->ok());
  EXPECT_EQ(runtime::describe(stale->error()).code, runtime::errc::conflict);
  EXPECT_EQ(view->table["user/di"], "1");
  EXPECT_EQ(store().last_seq(), 0u) << "no event without its change";
}

TEST_F(definition_actor_test, a_view_that_fails_fails_the_reply_closed) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  ASSERT_TRUE(define(defs, "user/ed", std::string{"1"}, std::nullopt)->ok());
  view->fail_next = true;
  auto res = define(defs, "user/ed", std::string{"2"}, std::nullopt);
  EXPECT_FALSE(res->ok()) << "the caller learns the view could not follow";
  EXPECT_EQ(view->table.count("user/ed"), 0u) << "dropped, not stale";
  auto stored = store().get_definition("user/ed");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->value, "2") << "the commit itself stands";
}

TEST_F(definition_actor_test, get_list_and_sources_read_the_store) {
  auto node = spawn_test_node();
  auto view = std::make_shared<recording_view>();
  auto defs = spawn(view, node);
  ASSERT_TRUE(define(defs, "config/a", std::string{"1"}, std::nullopt)->ok());
  ASSERT_TRUE(define(defs, "config/b", std::string{"2"}, std::nullopt)->ok());
  auto got =
      request<definition>(defs, protocol::get_atom_v, std::string{"config/b"});
  run();
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(got->get().value, "2");
  auto missing =
      request<definition>(defs, protocol::get_atom_v, std::string{"config/c"});
  run();
  ASSERT_FALSE(missing->ok());
  EXPECT_EQ(runtime::describe(missing->error()).code, runtime::errc::not_found);
  auto list = request<std::vector<definition>>(defs, protocol::list_atom_v,
                                               std::string{"config/"});
  run();
  ASSERT_TRUE(list->ok());
  ASSERT_EQ(list->get().size(), 2u);
  EXPECT_EQ(list->get()[0].key, "config/a");
  publish(node, {make_event("x.y")}); // source "test"
  auto sources = request<std::vector<protocol::source_info>>(
      defs, protocol::sources_atom_v);
  run();
  ASSERT_TRUE(sources->ok());
  ASSERT_EQ(sources->get().size(), 1u);
  EXPECT_EQ(sources->get()[0].id, "test");
  EXPECT_EQ(sources->get()[0].events, 1u);
}

} // namespace
} // namespace herald::test
