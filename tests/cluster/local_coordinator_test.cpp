// The in-process coordinator on the deterministic scheduler: a single
// member that owns every key, fenced commits on the store's
// compare-and-set, watchers, leaving.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
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
  spawn_coordinator(std::shared_ptr<storage::event_store> store = nullptr,
                    size_t max_group = 4096) {
    local_coordinator_options opts;
    opts.self = self_member;
    opts.inline_io = true;
    opts.max_group = max_group;
    opts.metrics = metrics_;
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

  using commit_slot = std::shared_ptr<test::reply_slot<uint64_t>>;

  /// A commit request in `c`'s mailbox (nothing runs).
  commit_slot send_commit(const coordinator_actor& c, std::string key,
                          uint64_t expected, std::string value) {
    return request<uint64_t>(c, commit_atom::value, std::move(key), expected,
                             std::move(value));
  }

  std::vector<coordinator_actor> spawned_;
  std::shared_ptr<local_coordinator_metrics> metrics_ =
      std::make_shared<local_coordinator_metrics>();
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

// -- group commit -------------------------------------------------------------

TEST_F(local_coordinator_test, commits_arriving_during_a_write_are_one_group) {
  auto c = spawn_coordinator();
  auto first = send_commit(c, "trigger/0", 0, "fire");
  ASSERT_TRUE(run_actor(c)); // trigger/0's write goes to the committer
  EXPECT_EQ(metrics_->groups.load(), 1u);
  std::vector<commit_slot> later;
  for (int i = 1; i <= 5; ++i) {
    later.push_back(send_commit(c, "trigger/" + std::to_string(i), 0, "fire"));
    ASSERT_TRUE(run_actor(c)); // queued behind the write in flight
  }
  EXPECT_FALSE(first->ready());
  EXPECT_EQ(metrics_->groups.load(), 1u);
  run();
  ASSERT_TRUE(first->ok());
  for (auto& slot : later) {
    ASSERT_TRUE(slot->ok()) << caf::to_string(slot->error());
    EXPECT_EQ(slot->get(), 1u);
  }
  EXPECT_EQ(metrics_->groups.load(), 2u) << "trigger/0 | trigger/1..5";
  EXPECT_EQ(metrics_->largest_group.load(), 5u);
  EXPECT_EQ(metrics_->commits.load(), 6u);
  for (int i = 0; i <= 5; ++i)
    EXPECT_EQ(read(c, "trigger/" + std::to_string(i)), (progress{"fire", 1}));
}

TEST_F(local_coordinator_test, a_conflict_fails_only_its_commit_in_a_group) {
  auto c = spawn_coordinator();
  ASSERT_TRUE(commit(c, "y", 0, "y1"));
  auto busy = send_commit(c, "busy", 0, "b");
  ASSERT_TRUE(run_actor(c));
  auto a = send_commit(c, "x", 0, "a");      // creates x
  auto b = send_commit(c, "x", 0, "b");      // x is at 1 now: conflict
  auto second = send_commit(c, "x", 1, "c"); // sees a's revision
  auto stale = send_commit(c, "y", 5, "lost");
  auto empty = send_commit(c, "", 0, "e");
  auto y = send_commit(c, "y", 1, "y2");
  run();
  ASSERT_TRUE(busy->ok());
  ASSERT_TRUE(a->ok());
  EXPECT_EQ(a->get(), 1u);
  ASSERT_TRUE(b->ready() && !b->ok());
  EXPECT_TRUE(is(b->error(), errc::conflict)) << caf::to_string(b->error());
  ASSERT_TRUE(second->ok()) << caf::to_string(second->error());
  EXPECT_EQ(second->get(), 2u);
  ASSERT_TRUE(stale->ready() && !stale->ok());
  EXPECT_TRUE(is(stale->error(), errc::conflict));
  ASSERT_TRUE(empty->ready() && !empty->ok());
  EXPECT_EQ(runtime::describe(empty->error()).code,
            runtime::errc::invalid_field);
  ASSERT_TRUE(y->ok());
  EXPECT_EQ(y->get(), 2u);
  EXPECT_EQ(metrics_->groups.load(), 3u) << "y1 | busy | the group";
  EXPECT_EQ(read(c, "x"), (progress{"c", 2}));
  EXPECT_EQ(read(c, "y"), (progress{"y2", 2}));
}

TEST_F(local_coordinator_test, a_group_is_at_most_max_group_commits) {
  auto c = spawn_coordinator(nullptr, 2);
  auto first = send_commit(c, "k0", 0, "v");
  ASSERT_TRUE(run_actor(c));
  std::vector<commit_slot> later;
  for (int i = 1; i <= 5; ++i) {
    later.push_back(send_commit(c, "k" + std::to_string(i), 0, "v"));
    ASSERT_TRUE(run_actor(c));
  }
  run();
  for (auto& slot : later)
    EXPECT_TRUE(slot->ok());
  EXPECT_EQ(metrics_->groups.load(), 4u) << "k0 | k1 k2 | k3 k4 | k5";
  EXPECT_EQ(metrics_->largest_group.load(), 2u);
}

TEST_F(local_coordinator_test, a_leave_waits_for_the_commits_before_it) {
  auto c = spawn_coordinator();
  auto log = std::make_shared<std::vector<membership>>();
  auto l = spawn_listener(log);
  ASSERT_TRUE(ask<membership>(c, watch_atom::value, l));
  auto in_flight = send_commit(c, "k", 0, "v1");
  ASSERT_TRUE(run_actor(c));
  auto before = send_commit(c, "k", 1, "v2");
  auto left = request<membership>(c, leave_atom::value);
  auto after = send_commit(c, "k", 2, "v3");
  ASSERT_TRUE(run_actor(c)); // "before" waits for the group in flight
  ASSERT_TRUE(run_actor(c)); // the leave waits for "before"
  ASSERT_TRUE(run_actor(c)); // "after" is fenced at once
  EXPECT_EQ(log->size(), 0u) << "the view has not changed yet";
  run();
  ASSERT_TRUE(after->ready() && !after->ok());
  EXPECT_TRUE(is(after->error(), errc::fenced)) << "received after the leave";
  ASSERT_TRUE(in_flight->ok());
  ASSERT_TRUE(before->ok()) << caf::to_string(before->error());
  EXPECT_EQ(before->get(), 2u);
  ASSERT_TRUE(left->ok());
  EXPECT_TRUE(left->get().members.empty());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(read(c, "k"), (progress{"v2", 2}));
}

TEST_F(local_coordinator_test, exit_fails_what_is_queued_or_in_flight) {
  auto c = spawn_coordinator();
  auto in_flight = send_commit(c, "k", 0, "v1");
  ASSERT_TRUE(run_actor(c));
  auto queued = send_commit(c, "k", 1, "v2");
  ASSERT_TRUE(run_actor(c));
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  run();
  ASSERT_TRUE(in_flight->ready());
  ASSERT_TRUE(queued->ready() && !queued->ok());
  EXPECT_TRUE(is(queued->error(), errc::unavailable))
      << caf::to_string(queued->error());
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

// -- on real threads (detached coordinator and committer) --------------------

class local_coordinator_live_test : public test::live_actor_fixture {};

TEST_F(local_coordinator_live_test, concurrent_commits_share_writes) {
  constexpr int commits = 500;
  local_coordinator_options opts;
  opts.self = self_member;
  opts.metrics = std::make_shared<local_coordinator_metrics>();
  auto c = spawn_local_coordinator(sys(), store_ptr(), opts);
  auto ok = std::make_shared<std::atomic<int>>(0);
  auto failed = std::make_shared<std::atomic<int>>(0);
  // Every commit is sent before any reply: they queue behind the first
  // write; the last of each pair of one key conflicts or follows it.
  sys().spawn([=, this](caf::event_based_actor* self) {
    for (int i = 0; i < commits; ++i)
      self->request(c, std::chrono::seconds{30}, commit_atom::value,
                    "t/" + std::to_string(i % (commits / 2)),
                    uint64_t(i < commits / 2 ? 0 : 1), std::string{"fire"})
          .then(
              [=, this](uint64_t) {
                ++*ok;
                notify();
              },
              [=, this](caf::error&) {
                ++*failed;
                notify();
              });
  });
  ASSERT_TRUE(wait_for([&] { return *ok + *failed == commits; },
                       std::chrono::seconds{30}));
  EXPECT_EQ(*ok, commits) << "each second commit of a key sees the first";
  EXPECT_EQ(opts.metrics->commits.load(), uint64_t{commits});
  EXPECT_LT(opts.metrics->groups.load(), uint64_t{commits / 2})
      << "commits that arrive during a write share the next one";
  for (int i = 0; i < commits / 2; i += 97) {
    auto p = store_ptr()->get_progress("t/" + std::to_string(i));
    ASSERT_TRUE(p && *p);
    EXPECT_EQ((*p)->revision, 2u);
  }
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}

} // namespace
} // namespace herald::cluster
