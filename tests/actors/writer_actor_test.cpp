#include "actors/writer_actor.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using actors::node_handles;
using results = std::vector<protocol::publish_result>;

class writer_actor_test : public actor_fixture {
protected:
  /// A collector subscribed to every event, to observe routing.
  std::shared_ptr<delivery_log> watch(const node_handles& node) {
    auto log = std::make_shared<delivery_log>();
    actors::subscription sub;
    sub.id = "watch";
    sub.who = runtime::identity::anonymous_admin();
    EXPECT_TRUE(subscribe(node, sub, spawn_collector(log)));
    return log;
  }
};

TEST_F(writer_actor_test, replies_after_commit_with_seqs_in_input_order) {
  auto node = spawn_test_node();
  std::vector<v1::Event> evs;
  for (int i = 0; i < 5; ++i)
    evs.push_back(make_event("order.created", "o" + std::to_string(i)));
  auto res = publish(node, evs);
  ASSERT_EQ(res.size(), 5u);
  for (size_t i = 0; i < res.size(); ++i) {
    EXPECT_EQ(res[i].id, "o" + std::to_string(i));
    EXPECT_EQ(res[i].seq, i + 1);
    EXPECT_FALSE(res[i].duplicate);
  }
  EXPECT_EQ(store().last_seq(), 5u);
  auto stored = store().get_by_seq(3);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->node(), "n1");
  EXPECT_GT((*stored)->accept_time_ns(), 0);
}

TEST_F(writer_actor_test, group_commits_requests_that_arrive_while_busy) {
  auto node = spawn_test_node();
  auto log = watch(node);
  auto first = write(node, {make_event("a.b", "w1")});
  ASSERT_TRUE(run_actor(node.writer)); // w1 goes to the committer
  EXPECT_EQ(store().last_seq(), 0u);   // nothing durable yet
  auto second = write(node, {make_event("a.b", "w2")});
  auto third =
      write(node, {make_event("a.b", "w3a"), make_event("a.b", "w3b")});
  ASSERT_TRUE(run_actor(node.writer)); // queued behind the commit
  ASSERT_TRUE(run_actor(node.writer));
  EXPECT_FALSE(second->ready());
  EXPECT_FALSE(third->ready());
  run();
  ASSERT_TRUE(first->ok());
  ASSERT_TRUE(second->ok());
  ASSERT_TRUE(third->ok());
  EXPECT_EQ(first->get()[0].seq, 1u);
  EXPECT_EQ(second->get()[0].seq, 2u);
  ASSERT_EQ(third->get().size(), 2u);
  EXPECT_EQ(third->get()[0].seq, 3u);
  EXPECT_EQ(third->get()[1].seq, 4u);
  // Two appends: w1 alone, then w2 + w3 together in one WriteBatch.
  EXPECT_EQ(node.metrics->appends.load(), 2u);
  EXPECT_EQ(node.metrics->largest_batch.load(), 3u);
  EXPECT_EQ(node.metrics->requests.load(), 3u);
  // Routed once each, in seq order.
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(writer_actor_test, respects_max_batch) {
  actors::node_options opts;
  opts.writer.max_batch = 2;
  auto node = spawn_test_node(opts);
  auto w1 = write(node, {make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer));
  std::vector<std::shared_ptr<reply_slot<results>>> later;
  for (int i = 0; i < 3; ++i) {
    later.push_back(write(node, {make_event("a.b")}));
    ASSERT_TRUE(run_actor(node.writer));
  }
  run();
  for (auto& slot : later)
    EXPECT_TRUE(slot->ok());
  EXPECT_EQ(node.metrics->appends.load(), 3u); // w1 | w2+w3 | w4
  EXPECT_EQ(node.metrics->largest_batch.load(), 2u);
  EXPECT_EQ(store().last_seq(), 4u);
}

TEST_F(writer_actor_test, duplicates_get_the_stored_seq_and_are_not_routed) {
  auto node = spawn_test_node();
  auto log = watch(node);
  auto first = publish(node, {make_event("a.b", "x")});
  ASSERT_EQ(first[0].seq, 1u);
  auto again = publish(node, {make_event("a.b", "x"), make_event("a.b", "y"),
                              make_event("a.b", "y")});
  ASSERT_EQ(again.size(), 3u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].seq, 1u);
  EXPECT_FALSE(again[1].duplicate);
  EXPECT_EQ(again[1].seq, 2u);
  EXPECT_TRUE(again[2].duplicate);
  EXPECT_EQ(again[2].seq, 2u);
  // Same id from two requests committed together.
  auto w1 = write(node, {make_event("a.b", "w1")});
  ASSERT_TRUE(run_actor(node.writer));
  auto w2 = write(node, {make_event("a.b", "z")});
  auto w3 = write(node, {make_event("a.b", "z")});
  run();
  EXPECT_FALSE(w2->get()[0].duplicate);
  EXPECT_TRUE(w3->get()[0].duplicate);
  EXPECT_EQ(w2->get()[0].seq, w3->get()[0].seq);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(node.metrics->duplicates.load(), 3u);
}

TEST_F(writer_actor_test, a_request_the_store_refuses_fails_alone) {
  // Issue 8: a request the store refuses inside a group commit fails by
  // itself (before, it failed every request of its commit).
  auto node = spawn_test_node();
  auto log = watch(node);
  auto w1 = write(node, {make_event("a.b", "ok1")});
  ASSERT_TRUE(run_actor(node.writer));
  auto w2 = write(node, {make_event("a.b", "ok2")});
  auto bad = make_event("a.b", "bad");
  bad.set_name(""); // the store refuses this request
  auto w3 = write(node, {bad});
  run();
  ASSERT_TRUE(w1->ok());
  ASSERT_TRUE(w2->ready());
  ASSERT_TRUE(w3->ready());
  EXPECT_TRUE(w2->ok());
  ASSERT_FALSE(w3->ok());
  EXPECT_EQ(runtime::describe(w3->error()).code, runtime::errc::invalid_name);
  EXPECT_EQ(runtime::describe(w3->error()).field, "/0/name");
  EXPECT_EQ(store().last_seq(), 2u);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(node.metrics->failed_appends.load(), 0u);
  auto next = publish(node, {make_event("a.b", "ok3")});
  EXPECT_EQ(next[0].seq, 3u);
}

TEST_F(writer_actor_test, failed_append_fails_every_request_of_the_batch) {
  // A failure of the write itself (here: the store is closed under the
  // writer) fails every request of the commit, and nothing is stored.
  auto node = spawn_test_node();
  auto log = watch(node);
  auto w1 = write(node, {make_event("a.b", "ok1")});
  run();
  ASSERT_TRUE(w1->ok());
  auto w2 = write(node, {make_event("a.b", "ok2")});
  auto w3 = write(node, {make_event("a.b", "ok3")});
  ASSERT_FALSE(store().close());
  run();
  ASSERT_TRUE(w2->ready() && w3->ready());
  EXPECT_FALSE(w2->ok());
  EXPECT_FALSE(w3->ok());
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1}));
  EXPECT_GE(node.metrics->failed_appends.load(), 1u);
}

TEST_F(writer_actor_test, refuses_beyond_max_queued) {
  actors::node_options opts;
  opts.writer.max_queued = 3;
  auto node = spawn_test_node(opts);
  auto w1 = write(node, {make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer)); // in flight, not queued
  auto w2 = write(node, {make_event("a.b"), make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer)); // 2 queued
  auto w3 = write(node, {make_event("a.b"), make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer)); // 4 > 3: refused at once
  EXPECT_EQ(store().last_seq(), 0u);
  run();
  ASSERT_TRUE(w3->ready());
  EXPECT_EQ(runtime::describe(w3->error()).code, runtime::errc::unavailable);
  EXPECT_EQ(runtime::describe(w3->error()).message, "writer overloaded");
  EXPECT_TRUE(w1->ok());
  EXPECT_TRUE(w2->ok());
  EXPECT_EQ(node.metrics->rejected.load(), 1u);
  EXPECT_EQ(store().last_seq(), 3u);
}

TEST_F(writer_actor_test, flush_answers_after_everything_before_it) {
  auto node = spawn_test_node();
  auto idle = request<uint64_t>(node.writer, actors::flush_atom::value);
  run();
  EXPECT_EQ(idle->get(), 0u);
  auto w1 = write(node, {make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer));
  auto w2 = write(node, {make_event("a.b")});
  auto flush = request<uint64_t>(node.writer, actors::flush_atom::value);
  ASSERT_TRUE(run_actor(node.writer));
  ASSERT_TRUE(run_actor(node.writer));
  EXPECT_FALSE(flush->ready());
  run();
  ASSERT_TRUE(w2->ok());
  EXPECT_EQ(flush->get(), 2u);
}

TEST_F(writer_actor_test, empty_write_gets_empty_reply) {
  auto node = spawn_test_node();
  EXPECT_TRUE(publish(node, {}).empty());
  EXPECT_EQ(node.metrics->appends.load(), 0u);
}

TEST_F(writer_actor_test, exit_fails_pending_requests_with_unavailable) {
  auto node = spawn_test_node();
  auto w1 = write(node, {make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer));
  auto w2 = write(node, {make_event("a.b")});
  ASSERT_TRUE(run_actor(node.writer));
  caf::anon_send_exit(node.writer, caf::exit_reason::user_shutdown);
  run();
  ASSERT_TRUE(w1->ready());
  ASSERT_TRUE(w2->ready());
  EXPECT_EQ(runtime::describe(w2->error()).code, runtime::errc::unavailable);
}

} // namespace
} // namespace herald::test

namespace herald::test {
namespace {

using definition_slot =
    std::shared_ptr<reply_slot<protocol::definition_result>>;

class writer_definition_test : public writer_actor_test {
protected:
  definition_slot define(const node_handles& node, std::string key,
                         std::optional<std::string> value,
                         std::optional<uint64_t> expect,
                         std::vector<v1::Event> events = {}) {
    return request<protocol::definition_result>(
        node.writer, actors::define_atom_v,
        protocol::definition_change{std::move(key), std::move(value), expect},
        std::move(events));
  }

  static v1::Event from_source(std::string source, std::string id) {
    auto ev = make_event("x.y", std::move(id));
    ev.set_source(std::move(source));
    return ev;
  }
};

TEST_F(writer_definition_test, a_definition_commit_is_timed_like_any_append) {
  // /metrics promises herald_write_seconds_count ==
  // herald_write_batch_events_count: every commit that counts as a batch is
  // timed, definition changes (the admin token at first start) included.
  auto node = spawn_test_node();
  publish(node, {make_event("a.b", "t1")});
  auto res =
      define(node, "config/t", "1", 0, {make_event("config-updated", "t2")});
  run();
  ASSERT_TRUE(res->ok());
  EXPECT_EQ(node.metrics->batch_events.snapshot().count, 2u);
  EXPECT_EQ(node.metrics->append_seconds.snapshot().count,
            node.metrics->batch_events.snapshot().count);
}

TEST_F(writer_definition_test,
       a_change_is_committed_and_routed_with_its_event) {
  auto node = spawn_test_node();
  auto log = watch(node);
  auto d =
      define(node, "config/a", "1", 0, {make_event("config-updated", "c1")});
  run();
  ASSERT_TRUE(d->ok());
  EXPECT_EQ(d->get().version, 1u);
  ASSERT_EQ(d->get().events.size(), 1u);
  EXPECT_EQ(d->get().events[0].seq, 1u);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1}));
  auto stale =
      define(node, "config/a", "2", 0, {make_event("config-updated", "c2")});
  run();
  ASSERT_TRUE(stale->ready() && !stale->ok());
  EXPECT_EQ(runtime::describe(stale->error()).code, runtime::errc::conflict);
  EXPECT_EQ(store().last_seq(), 1u);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1}));
}

TEST_F(writer_definition_test,
       a_disabled_source_fails_its_request_alone_and_in_queue_order) {
  auto node = spawn_test_node();
  auto first = write(node, {from_source("iam", "a")});
  ASSERT_TRUE(run_actor(node.writer)); // a goes to the committer
  // Queued behind it, in this order: disable iam, then three writes.
  auto off = define(node, "source/iam", R"({"enabled":false})", std::nullopt);
  auto ok1 = write(node, {from_source("billing", "b")});
  auto refused =
      write(node, {from_source("billing", "c"), from_source("iam", "d")});
  auto ok2 = write(node, {from_source("billing", "e")});
  run();
  ASSERT_TRUE(first->ok());
  ASSERT_TRUE(off->ok());
  ASSERT_TRUE(ok1->ok());
  ASSERT_TRUE(ok2->ok());
  ASSERT_TRUE(refused->ready() && !refused->ok());
  EXPECT_EQ(runtime::describe(refused->error()).code,
            runtime::errc::source_disabled);
  EXPECT_EQ(runtime::describe(refused->error()).field, "/1/source");
  EXPECT_FALSE(*store().get_by_id("c"));
  EXPECT_EQ(store().last_seq(), 3u); // a, b, e
  // b and e were committed together, the refused request between them
  // did not fail them.
  EXPECT_EQ(ok1->get()[0].seq, 2u);
  EXPECT_EQ(ok2->get()[0].seq, 3u);
}

// -- unconditional changes join the group commit -----------------------------

TEST_F(writer_definition_test,
       unconditional_defines_queued_while_busy_go_out_in_one_append) {
  auto node = spawn_test_node();
  auto log = watch(node);
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer)); // "busy" goes to the committer
  std::vector<definition_slot> tasks;
  for (int i = 0; i < 5; ++i) {
    auto id = std::to_string(i);
    tasks.push_back(define(node, "task/" + id, "record " + id, std::nullopt,
                           {make_event("task.started", "t" + id)}));
  }
  auto pub = write(node, {make_event("a.b", "p")});
  auto bare = define(node, "task/bare", "no events", std::nullopt);
  run();
  ASSERT_TRUE(busy->ok());
  ASSERT_TRUE(pub->ok());
  for (size_t i = 0; i < tasks.size(); ++i) {
    ASSERT_TRUE(tasks[i]->ok()) << i << caf::to_string(tasks[i]->error());
    EXPECT_EQ(tasks[i]->get().version, 1u);
    ASSERT_EQ(tasks[i]->get().events.size(), 1u);
    EXPECT_EQ(tasks[i]->get().events[0].seq, i + 2) << "in queue order";
  }
  EXPECT_EQ(pub->get()[0].seq, 7u);
  ASSERT_TRUE(bare->ok());
  EXPECT_EQ(bare->get().version, 1u);
  EXPECT_TRUE(bare->get().events.empty());
  EXPECT_EQ(node.metrics->appends.load(), 2u) << "busy | 5 defines + p + bare";
  EXPECT_EQ(node.metrics->largest_batch.load(), 6u);
  EXPECT_EQ(node.metrics->failed_appends.load(), 0u);
  EXPECT_EQ(node.metrics->append_seconds.snapshot().count,
            node.metrics->batch_events.snapshot().count);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  for (auto key : {"task/0", "task/4", "task/bare"}) {
    auto d = store().get_definition(key);
    ASSERT_TRUE(d && *d) << key;
    EXPECT_EQ((*d)->version, 1u);
  }
}

TEST_F(writer_definition_test, a_conditional_define_still_commits_alone) {
  auto node = spawn_test_node();
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer));
  auto u1 = define(node, "task/1", "a", std::nullopt,
                   {make_event("task.started", "u1")});
  auto c = define(node, "config/x", "1", 0, {make_event("config-updated")});
  auto u2 = define(node, "task/2", "b", std::nullopt);
  auto w = write(node, {make_event("a.b", "w")});
  auto src = define(node, "source/iam", R"({"enabled":true})", std::nullopt);
  auto u3 = define(node, "task/3", "c", std::nullopt);
  run();
  for (auto& d : {u1, c, u2, src, u3})
    ASSERT_TRUE(d->ok()) << caf::to_string(d->error());
  ASSERT_TRUE(w->ok());
  // busy | u1 | c (alone) | u2 + w | source setting (alone) | u3
  EXPECT_EQ(node.metrics->appends.load(), 6u);
  EXPECT_EQ(u1->get().events[0].seq, 2u);
  EXPECT_EQ(c->get().events[0].seq, 3u);
  EXPECT_EQ(w->get()[0].seq, 4u);
}

TEST_F(writer_definition_test, one_key_twice_in_a_group_applies_in_order) {
  auto node = spawn_test_node();
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer));
  auto first = define(node, "task/k", "running", std::nullopt,
                      {make_event("task.started", "k1")});
  auto second = define(node, "task/k", "done", std::nullopt,
                       {make_event("task.ended", "k2")});
  run();
  ASSERT_TRUE(first->ok());
  ASSERT_TRUE(second->ok());
  EXPECT_EQ(first->get().version, 1u);
  EXPECT_EQ(second->get().version, 2u);
  EXPECT_EQ(node.metrics->appends.load(), 2u);
  auto d = store().get_definition("task/k");
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->value, "done");
  EXPECT_EQ((*d)->version, 2u);
}

TEST_F(writer_definition_test, a_refused_define_fails_alone_in_its_group) {
  auto node = spawn_test_node();
  auto log = watch(node);
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer));
  auto ok1 = define(node, "task/1", "a", std::nullopt,
                    {make_event("task.started", "e1")});
  // Deleting an absent key: not_found, its event is not stored.
  auto missing = define(node, "task/none", std::nullopt, std::nullopt,
                        {make_event("task.deleted", "e2")});
  auto nameless = make_event("a.b", "e3");
  nameless.clear_name();
  auto bad = define(node, "task/2", "b", std::nullopt, {nameless});
  auto ok2 = write(node, {make_event("a.b", "e4")});
  run();
  ASSERT_TRUE(busy->ok());
  ASSERT_TRUE(ok1->ok());
  ASSERT_TRUE(ok2->ok());
  ASSERT_TRUE(missing->ready() && !missing->ok());
  EXPECT_EQ(runtime::describe(missing->error()).code, runtime::errc::not_found);
  ASSERT_TRUE(bad->ready() && !bad->ok());
  EXPECT_EQ(runtime::describe(bad->error()).code, runtime::errc::invalid_name);
  EXPECT_EQ(node.metrics->appends.load(), 2u);
  EXPECT_EQ(node.metrics->failed_appends.load(), 0u);
  EXPECT_EQ(ok2->get()[0].seq, 3u);
  EXPECT_EQ(log->seqs(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(*store().get_by_id("e2"));
  EXPECT_FALSE(*store().get_definition("task/2"));
}

TEST_F(writer_definition_test, a_failed_group_fails_its_defines_too) {
  auto node = spawn_test_node();
  auto busy = write(node, {make_event("a.b", "busy")});
  run();
  ASSERT_TRUE(busy->ok());
  auto d1 = define(node, "task/1", "a", std::nullopt,
                   {make_event("task.started", "e1")});
  auto w = write(node, {make_event("a.b", "e2")});
  ASSERT_FALSE(store().close());
  run();
  ASSERT_TRUE(d1->ready() && !d1->ok());
  ASSERT_TRUE(w->ready() && !w->ok());
  EXPECT_GE(node.metrics->failed_appends.load(), 1u);
}

TEST_F(writer_definition_test, a_flush_waits_for_refused_requests_too) {
  auto node = spawn_test_node();
  auto off = define(node, "source/iam", R"({"enabled":false})", std::nullopt);
  run();
  ASSERT_TRUE(off->ok());
  auto refused = write(node, {from_source("iam", "d")});
  auto flushed = request<uint64_t>(node.writer, actors::flush_atom_v);
  run();
  ASSERT_TRUE(refused->ready() && !refused->ok());
  ASSERT_TRUE(flushed->ok());
  EXPECT_EQ(flushed->get(), 0u);
  EXPECT_EQ(node.metrics->queued_events.load(), 0u);
}

} // namespace
} // namespace herald::test

// -- one request fails alone; existence does not leak (issue 8) --------------

namespace herald::test {
namespace {

v1::Event restricted_to(const std::string& group, const std::string& id) {
  auto ev = make_event("secret.thing", id);
  ev.add_allowed_groups(group);
  return ev;
}

class writer_refusal_test : public actor_fixture {
protected:
  std::shared_ptr<reply_slot<results>> write_as(const node_handles& node,
                                                std::vector<v1::Event> events,
                                                runtime::identity who) {
    return request<results>(node.writer, actors::write_atom_v,
                            std::move(events), std::move(who));
  }

  runtime::identity insider{"ann", {"ops"}, {"publisher", "reader"}};
  runtime::identity outsider{"bob", {"dev"}, {"publisher", "reader"}};
};

TEST_F(writer_refusal_test, an_id_the_caller_cannot_see_is_a_conflict_no_seq) {
  auto node = spawn_test_node();
  auto first = write_as(node, {restricted_to("ops", "s1")}, insider);
  run();
  ASSERT_TRUE(first->ok());
  // The outsider reuses the id, alone and inside a batch: 409, no seq,
  // nothing of the batch stored.
  auto alone = write_as(node, {make_event("a.b", "s1")}, outsider);
  auto batch = write_as(
      node, {make_event("a.b", "new1"), make_event("a.b", "s1")}, outsider);
  run();
  ASSERT_TRUE(alone->ready() && !alone->ok());
  auto e = runtime::describe(alone->error());
  EXPECT_EQ(e.code, runtime::errc::conflict);
  EXPECT_EQ(e.field, "/id");
  EXPECT_EQ(e.message.find('1'), std::string::npos)
      << "the message must not carry the stored seq: " << e.message;
  ASSERT_TRUE(batch->ready() && !batch->ok());
  EXPECT_EQ(runtime::describe(batch->error()).field, "/1/id");
  EXPECT_FALSE(*store().get_by_id("new1"));
  EXPECT_EQ(store().last_seq(), 1u);
  // Whoever may see it gets the idempotent duplicate as before.
  auto again = write_as(node, {make_event("a.b", "s1")}, insider);
  auto admin = write_as(node, {make_event("a.b", "s1")},
                        runtime::identity{"root", {}, {"admin"}});
  run();
  ASSERT_TRUE(again->ok());
  EXPECT_TRUE(again->get()[0].duplicate);
  EXPECT_EQ(again->get()[0].seq, 1u);
  ASSERT_TRUE(admin->ok());
  EXPECT_TRUE(admin->get()[0].duplicate);
}

TEST_F(writer_refusal_test, a_refused_request_fails_alone_in_its_group_commit) {
  auto node = spawn_test_node();
  auto seed = write_as(node, {restricted_to("ops", "s1")}, insider);
  run();
  ASSERT_TRUE(seed->ok());
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer)); // "busy" goes to the committer
  // Queued behind it, so committed together in one append: a good request,
  // one the store refuses (hidden id), a request with an event the store
  // itself rejects (no name), and another good one.
  auto ok1 = write_as(node, {make_event("a.b", "x1")}, outsider);
  auto hidden = write_as(node, {make_event("a.b", "s1")}, outsider);
  auto nameless_ev = make_event("a.b", "x2");
  nameless_ev.clear_name();
  auto nameless =
      write_as(node, {make_event("a.b", "x3"), nameless_ev}, insider);
  auto ok2 = write_as(node, {make_event("a.b", "x4")}, insider);
  run();
  ASSERT_TRUE(busy->ok());
  ASSERT_TRUE(ok1->ok()) << caf::to_string(ok1->error());
  ASSERT_TRUE(ok2->ok()) << caf::to_string(ok2->error());
  ASSERT_TRUE(hidden->ready() && !hidden->ok());
  EXPECT_EQ(runtime::describe(hidden->error()).code, runtime::errc::conflict);
  ASSERT_TRUE(nameless->ready() && !nameless->ok());
  EXPECT_EQ(runtime::describe(nameless->error()).code,
            runtime::errc::invalid_name);
  EXPECT_EQ(runtime::describe(nameless->error()).field, "/1/name");
  EXPECT_FALSE(*store().get_by_id("x3"));
  EXPECT_EQ(ok1->get()[0].seq, 3u);
  EXPECT_EQ(ok2->get()[0].seq, 4u);
  EXPECT_EQ(store().last_seq(), 4u);
  EXPECT_EQ(node.metrics->appends.load(), 3u) << "seed, busy, one group";
  EXPECT_EQ(node.metrics->failed_appends.load(), 0u);
}

TEST_F(writer_refusal_test, an_id_published_earlier_in_the_same_commit_counts) {
  auto node = spawn_test_node();
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer));
  // In one commit: the insider publishes a restricted id, the outsider
  // reuses it (refused), a second insider request reuses it (duplicate).
  auto a = write_as(node, {restricted_to("ops", "s2")}, insider);
  auto b = write_as(node, {make_event("a.b", "s2")}, outsider);
  auto c = write_as(node, {make_event("a.b", "s2")}, insider);
  run();
  ASSERT_TRUE(busy->ok());
  ASSERT_TRUE(a->ok());
  ASSERT_TRUE(b->ready() && !b->ok());
  EXPECT_EQ(runtime::describe(b->error()).code, runtime::errc::conflict);
  ASSERT_TRUE(c->ok());
  EXPECT_TRUE(c->get()[0].duplicate);
  EXPECT_EQ(c->get()[0].seq, a->get()[0].seq);
  auto stored = store().get_by_id("s2");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->allowed_groups_size(), 1);
}

TEST_F(writer_refusal_test, refusing_the_first_publisher_frees_the_id) {
  auto node = spawn_test_node();
  auto seed = write_as(node, {restricted_to("ops", "s1")}, insider);
  run();
  ASSERT_TRUE(seed->ok());
  auto busy = write(node, {make_event("a.b", "busy")});
  ASSERT_TRUE(run_actor(node.writer));
  // The outsider's batch is refused (s1 is hidden): its "s3" is not stored,
  // so the insider's later "s3" is the one stored, not a duplicate.
  auto b = write_as(node, {make_event("a.b", "s3"), make_event("a.b", "s1")},
                    outsider);
  auto c = write_as(node, {make_event("a.b", "s3")}, insider);
  run();
  ASSERT_TRUE(b->ready() && !b->ok());
  ASSERT_TRUE(c->ok());
  EXPECT_FALSE(c->get()[0].duplicate);
  EXPECT_EQ(c->get()[0].seq, 3u);
}

} // namespace
} // namespace herald::test
