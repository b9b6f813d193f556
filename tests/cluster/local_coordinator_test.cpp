// The in-process coordinator on the deterministic scheduler: a single
// member that owns every key, fenced commits on the store's
// compare-and-set, watchers, leaving.

#include <memory>
#include <string>
#include <vector>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/cluster/local_coordinator.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::cluster {
namespace {

bool is(const caf::error& err, errc code) {
  return err.category() == caf::atom("cluster") &&
         err.code() == static_cast<uint8_t>(code);
}

const member self_member{"n1", "127.0.0.1:8471", "127.0.0.1:8470"};

class local_coordinator_test : public test::actor_fixture {
protected:
  ~local_coordinator_test() override {
    for (auto& c : spawned_)
      caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    run();
  }

  coordinator_actor
  spawn_coordinator(std::shared_ptr<storage::event_store> store = nullptr) {
    local_coordinator_options opts;
    opts.self = self_member;
    opts.inline_io = true;
    auto c = spawn_local_coordinator(sys(), store ? store : store_ptr(), opts);
    spawned_.push_back(c);
    run();
    return c;
  }

  /// Sends one request, runs until idle, returns the reply.
  template <class T, class... Ts>
  caf::expected<T> ask(const coordinator_actor& c, Ts... xs) {
    auto slot = request<T>(c, xs...);
    run();
    if (!slot->ready())
      return caf::make_error(caf::sec::request_timeout);
    return *slot->value;
  }

  caf::expected<uint64_t> commit(const coordinator_actor& c, std::string key,
                                 uint64_t expected, std::string value) {
    return ask<uint64_t>(c, commit_atom::value, std::move(key), expected,
                         std::move(value));
  }

  progress read(const coordinator_actor& c, std::string key) {
    auto p = ask<progress>(c, progress_atom::value, std::move(key));
    EXPECT_TRUE(p) << caf::to_string(p.error());
    return p ? *p : progress{};
  }

  membership_listener
  spawn_listener(std::shared_ptr<std::vector<membership>> log) {
    auto l = sys().spawn([log](membership_listener::pointer)
                             -> membership_listener::behavior_type {
      return {[log](view_atom, const membership& m) { log->push_back(m); }};
    });
    run();
    return l;
  }

  std::vector<coordinator_actor> spawned_;
};

TEST_F(local_coordinator_test, this_node_is_the_only_member) {
  auto c = spawn_coordinator();
  auto view = ask<membership>(c, members_atom::value);
  ASSERT_TRUE(view) << caf::to_string(view.error());
  EXPECT_EQ(view->view, 1u);
  ASSERT_EQ(view->members.size(), 1u);
  EXPECT_EQ(view->members[0], self_member);
  auto me = ask<member>(c, self_atom::value);
  ASSERT_TRUE(me);
  EXPECT_EQ(*me, self_member);
}

TEST_F(local_coordinator_test, this_node_owns_every_key) {
  auto c = spawn_coordinator();
  for (std::string key : {"trigger/hourly", "sub/alice/orders", "", "x"}) {
    auto o = ask<ownership>(c, owner_atom::value, key);
    ASSERT_TRUE(o) << caf::to_string(o.error());
    EXPECT_EQ(o->owner, "n1") << key;
    EXPECT_TRUE(o->local) << key;
    EXPECT_EQ(o->view, 1u);
  }
}

TEST_F(local_coordinator_test, a_commit_with_the_right_revision_succeeds) {
  auto c = spawn_coordinator();
  EXPECT_EQ(read(c, "trigger/hourly"), progress{});
  auto first = commit(c, "trigger/hourly", 0, "fire@1000");
  ASSERT_TRUE(first) << caf::to_string(first.error());
  EXPECT_EQ(*first, 1u);
  EXPECT_EQ(read(c, "trigger/hourly"), (progress{"fire@1000", 1}));
  auto second = commit(c, "trigger/hourly", *first, "fire@2000");
  ASSERT_TRUE(second) << caf::to_string(second.error());
  EXPECT_EQ(*second, 2u);
  EXPECT_EQ(read(c, "trigger/hourly"), (progress{"fire@2000", 2}));
  EXPECT_EQ(read(c, "trigger/other"), progress{}) << "keys are independent";
}

TEST_F(local_coordinator_test,
       a_stale_revision_is_a_conflict_and_writes_nothing) {
  auto c = spawn_coordinator();
  ASSERT_TRUE(commit(c, "sub/a", 0, "c1"));
  ASSERT_TRUE(commit(c, "sub/a", 1, "c2"));
  for (uint64_t stale : {0u, 1u, 7u}) {
    auto r = commit(c, "sub/a", stale, "lost");
    ASSERT_FALSE(r) << "expected revision " << stale;
    EXPECT_TRUE(is(r.error(), errc::conflict)) << caf::to_string(r.error());
  }
  EXPECT_EQ(read(c, "sub/a"), (progress{"c2", 2}));
}

TEST_F(local_coordinator_test,
       of_two_commits_on_one_revision_exactly_one_wins) {
  auto c = spawn_coordinator();
  ASSERT_TRUE(commit(c, "k", 0, "base"));
  // Both requests are in the mailbox before either is handled.
  auto a = request<uint64_t>(c, commit_atom::value, std::string{"k"},
                             uint64_t{1}, std::string{"from-a"});
  auto b = request<uint64_t>(c, commit_atom::value, std::string{"k"},
                             uint64_t{1}, std::string{"from-b"});
  run();
  ASSERT_TRUE(a->ready() && b->ready());
  ASSERT_NE(a->ok(), b->ok()) << "exactly one must win";
  auto& winner = a->ok() ? a : b;
  auto& loser = a->ok() ? b : a;
  EXPECT_EQ(winner->get(), 2u);
  EXPECT_TRUE(is(loser->error(), errc::conflict));
  EXPECT_EQ(read(c, "k"), (progress{a->ok() ? "from-a" : "from-b", 2}));
}

TEST_F(local_coordinator_test, progress_survives_a_store_reopen) {
  test::temp_dir dir;
  storage::store_options opts;
  opts.dir = dir.path() / "db";
  opts.sync = true;
  auto opened = storage::event_store::open(opts);
  ASSERT_TRUE(opened) << caf::to_string(opened.error());
  std::shared_ptr<storage::event_store> store{std::move(*opened)};
  auto c = spawn_coordinator(store);
  ASSERT_TRUE(commit(c, "sub/a", 0, "cursor=10"));
  ASSERT_TRUE(commit(c, "sub/a", 1, "cursor=20"));
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  run();
  ASSERT_FALSE(store->close());
  store.reset();

  opened = storage::event_store::open(opts);
  ASSERT_TRUE(opened) << caf::to_string(opened.error());
  store = std::move(*opened);
  auto again = spawn_coordinator(store);
  EXPECT_EQ(read(again, "sub/a"), (progress{"cursor=20", 2}));
  auto stale = commit(again, "sub/a", 1, "cursor=15");
  ASSERT_FALSE(stale);
  EXPECT_TRUE(is(stale.error(), errc::conflict));
  auto next = commit(again, "sub/a", 2, "cursor=30");
  ASSERT_TRUE(next) << caf::to_string(next.error());
  EXPECT_EQ(*next, 3u);
  caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
  run();
}

TEST_F(local_coordinator_test, an_empty_key_is_refused) {
  auto c = spawn_coordinator();
  auto r = commit(c, "", 0, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(runtime::describe(r.error()).code, runtime::errc::invalid_field);
}

TEST_F(local_coordinator_test, leaving_tells_watchers_and_fences_commits) {
  auto c = spawn_coordinator();
  ASSERT_TRUE(commit(c, "k", 0, "v1"));
  auto log = std::make_shared<std::vector<membership>>();
  auto l = spawn_listener(log);
  auto now = ask<membership>(c, watch_atom::value, l);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->view, 1u);
  EXPECT_TRUE(log->empty()) << "the current view is the reply, not a message";

  auto left = ask<membership>(c, leave_atom::value);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->view, 2u);
  EXPECT_TRUE(left->members.empty());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front(), *left);

  auto o = ask<ownership>(c, owner_atom::value, std::string{"k"});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->local);
  EXPECT_EQ(o->owner, "");
  EXPECT_EQ(o->view, 2u);
  auto r = commit(c, "k", 1, "v2");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is(r.error(), errc::fenced)) << caf::to_string(r.error());
  EXPECT_EQ(read(c, "k"), (progress{"v1", 1})) << "reads still work";

  ASSERT_TRUE(ask<membership>(c, leave_atom::value));
  EXPECT_EQ(log->size(), 1u) << "leaving twice changes nothing";
}

TEST_F(local_coordinator_test,
       watching_twice_is_one_subscription_until_unwatch) {
  auto c = spawn_coordinator();
  auto twice = std::make_shared<std::vector<membership>>();
  auto gone = std::make_shared<std::vector<membership>>();
  auto l1 = spawn_listener(twice);
  auto l2 = spawn_listener(gone);
  ASSERT_TRUE(ask<membership>(c, watch_atom::value, l1));
  ASSERT_TRUE(ask<membership>(c, watch_atom::value, l1));
  ASSERT_TRUE(ask<membership>(c, watch_atom::value, l2));
  caf::anon_send(c, unwatch_atom::value, l2);
  run();
  ASSERT_TRUE(ask<membership>(c, leave_atom::value));
  EXPECT_EQ(twice->size(), 1u);
  EXPECT_TRUE(gone->empty());
}

} // namespace
} // namespace herald::cluster
