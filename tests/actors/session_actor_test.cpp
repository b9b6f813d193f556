#include "actors/session_actor.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/definition_actor.hpp"
#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using protocol::publish_result;
using protocol::query_page;
using protocol::session_actor;

runtime::identity user(std::string name, std::vector<std::string> roles,
                       std::vector<std::string> groups = {}) {
  return {std::move(name), std::move(groups), std::move(roles)};
}

class session_actor_test : public actor_fixture {
protected:
  void SetUp() override {
    node_ = spawn_test_node();
    auto defs =
        actors::spawn_definitions(sys(), store_ptr(), node_.writer, {}, true);
    ASSERT_TRUE(defs);
    defs_ = *defs;
    keep_.push_back(caf::actor_cast<caf::actor>(defs_));
  }
  ~session_actor_test() override {
    for (auto& a : keep_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }
  session_actor session(runtime::identity who) {
    auto s = actors::spawn_session(sys(), node_, defs_, std::move(who));
    keep_.push_back(caf::actor_cast<caf::actor>(s));
    run();
    return s;
  }
  caf::expected<std::vector<publish_result>>
  publish_as(const session_actor& s, std::vector<v1::Event> evs) {
    auto slot = request<std::vector<publish_result>>(
        s, protocol::publish_atom_v, std::move(evs));
    run();
    return std::move(*slot->value);
  }
  caf::expected<query_page> query_as(const session_actor& s) {
    protocol::event_query q;
    auto slot = request<query_page>(s, protocol::query_atom_v, q);
    run();
    return std::move(*slot->value);
  }
  caf::expected<uint64_t> subscribe_as(const session_actor& s, std::string id,
                                       std::string name,
                                       std::shared_ptr<delivery_log> log) {
    protocol::subscribe_spec spec;
    spec.id = std::move(id);
    spec.name = std::move(name);
    auto to = caf::actor_cast<protocol::subscriber_actor>(
        spawn_collector(std::move(log)));
    auto slot =
        request<uint64_t>(s, protocol::subscribe_atom_v, std::move(spec), to);
    run();
    return std::move(*slot->value);
  }
  /// Stores a definition directly (as if written before the node started).
  bool commit_direct(std::string key, std::string value) {
    std::vector<v1::Event> none;
    return static_cast<bool>(store().commit_definition(
        {std::move(key), std::move(value), 0, std::nullopt}, none, "", 0));
  }
  actors::node_handles node_;
  protocol::definitions_actor defs_;
  std::vector<caf::actor> keep_;
};

runtime::errc code_of(const caf::error& err) {
  return runtime::describe(err).code;
}

TEST_F(session_actor_test, a_reader_cannot_publish_and_nothing_is_stored) {
  auto reader = session(user("rita", {"reader"}));
  auto res = publish_as(reader, {make_event("a.b")});
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), runtime::errc::forbidden);
  EXPECT_EQ(store().last_seq(), 0u);
}

TEST_F(session_actor_test, a_publisher_cannot_read) {
  auto pub = session(user("paul", {"publisher"}));
  auto res = publish_as(pub, {make_event("a.b", "p1")});
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[0].seq, 1u);
  auto page = query_as(pub);
  ASSERT_FALSE(page);
  EXPECT_EQ(code_of(page.error()), runtime::errc::forbidden);
}

TEST_F(session_actor_test, the_bound_identity_decides_visibility) {
  auto ev = make_event("secret.thing", "s1");
  ev.add_allowed_groups("red");
  publish(node_, {ev, make_event("open.thing", "o1")});
  auto blue = session(user("bea", {"reader", "publisher"}, {"blue"}));
  auto page = query_as(blue);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].id(), "o1");
  // Republishing the hidden id is refused as a conflict, not a duplicate:
  // the writer judged it with the session's identity.
  auto res = publish_as(blue, {ev});
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), runtime::errc::conflict);
  auto red = session(user("rob", {"reader"}, {"red"}));
  page = query_as(red);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->events.size(), 2u);
}

TEST_F(session_actor_test, subscriptions_are_per_session_whatever_their_id) {
  auto a = session(user("ann", {"reader"}));
  auto b = session(user("ben", {"reader"}));
  auto log_a = std::make_shared<delivery_log>();
  auto log_b = std::make_shared<delivery_log>();
  ASSERT_TRUE(subscribe_as(a, "same", "x.>", log_a));
  ASSERT_TRUE(subscribe_as(b, "same", "x.>", log_b));
  EXPECT_EQ(registry_stats(node_).local_subscriptions, 2u)
      << "b's subscription did not replace a's";
  // b cannot end a's subscription by naming its id.
  caf::anon_send(b, protocol::unsubscribe_atom_v, std::string{"same"});
  run();
  caf::anon_send(b, protocol::unsubscribe_atom_v, std::string{"other"});
  run();
  publish(node_, {make_event("x.y", "x1")});
  run();
  EXPECT_EQ(log_a->size(), 1u);
  EXPECT_EQ(log_b->size(), 0u) << "b unsubscribed its own";
  EXPECT_EQ(registry_stats(node_).local_subscriptions, 1u);
}

TEST_F(session_actor_test, definitions_need_the_admin_role) {
  auto reader = session(user("rita", {"reader", "publisher"}));
  auto slot = request<std::vector<protocol::definition>>(
      reader, protocol::list_atom_v, std::string{"token/"});
  run();
  ASSERT_FALSE(slot->ok());
  EXPECT_EQ(code_of(slot->error()), runtime::errc::forbidden);
  ASSERT_TRUE(commit_direct("config/k", "1"));
  auto admin = session(user("ada", {"admin"}));
  auto got = request<protocol::definition>(admin, protocol::get_atom_v,
                                           std::string{"config/k"});
  run();
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(got->get().value, "1");
}

} // namespace
} // namespace herald::test
