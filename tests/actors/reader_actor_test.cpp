#include "actors/reader_actor.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using reader_actor_test = actor_fixture;

runtime::identity member_of(std::string group) {
  return runtime::identity{"bob", {std::move(group)}, {"reader"}};
}

TEST_F(reader_actor_test, query_pages_through_the_pool) {
  auto node = spawn_test_node();
  std::vector<v1::Event> evs;
  for (int i = 0; i < 5; ++i)
    evs.push_back(make_event(i % 2 == 0 ? "a.even" : "a.odd"));
  publish(node, evs);
  protocol::event_query q;
  q.name = "a.even";
  q.limit = 2;
  auto page =
      request<protocol::query_page>(node.readers, actors::query_atom::value, q,
                                    runtime::identity::anonymous_admin());
  run();
  auto first = page->get();
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.events[0].seq(), 1u);
  EXPECT_EQ(first.events[1].seq(), 3u);
  ASSERT_FALSE(first.next.empty());
  q.after = first.next;
  page = request<protocol::query_page>(node.readers, actors::query_atom::value,
                                       q, runtime::identity::anonymous_admin());
  run();
  auto second = page->get();
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].seq(), 5u);
  EXPECT_TRUE(second.next.empty());
}

TEST_F(reader_actor_test, query_skips_invisible_events_and_reports_errors) {
  auto node = spawn_test_node();
  auto secret = make_event("a.b");
  secret.add_allowed_groups("g2");
  publish(node, {make_event("a.b"), secret});
  protocol::event_query q;
  auto page = request<protocol::query_page>(
      node.readers, actors::query_atom::value, q, member_of("g1"));
  run();
  ASSERT_EQ(page->get().events.size(), 1u);
  q.after = "not-a-cursor";
  page = request<protocol::query_page>(node.readers, actors::query_atom::value,
                                       q, member_of("g1"));
  run();
  ASSERT_TRUE(page->ready());
  EXPECT_EQ(runtime::describe(page->error()).code,
            runtime::errc::invalid_cursor);
}

TEST_F(reader_actor_test, fetch_hides_unknown_and_invisible_alike) {
  auto node = spawn_test_node();
  auto secret = make_event("a.b", "secret");
  secret.add_allowed_groups("g2");
  publish(node, {make_event("a.b", "open"), secret});
  auto fetch = [&](std::string id, runtime::identity who) {
    auto slot = request<v1::Event>(node.readers, actors::fetch_atom::value,
                                   std::move(id), std::move(who));
    run();
    return slot;
  };
  auto open = fetch("open", member_of("g1"));
  ASSERT_TRUE(open->ok());
  EXPECT_EQ(open->get().seq(), 1u);
  auto hidden = fetch("secret", member_of("g1"));
  ASSERT_TRUE(hidden->ready());
  EXPECT_EQ(runtime::describe(hidden->error()).code, runtime::errc::not_found);
  auto unknown = fetch("nope", member_of("g1"));
  EXPECT_EQ(runtime::describe(unknown->error()).code, runtime::errc::not_found);
  EXPECT_EQ(runtime::describe(unknown->error()).field, "id");
  EXPECT_TRUE(fetch("secret", member_of("g2"))->ok());
  EXPECT_TRUE(fetch("secret", runtime::identity::anonymous_admin())->ok());
}

} // namespace
} // namespace herald::test
