// The schedule trigger actor across owners, on the deterministic scheduler:
// two "nodes" share one fake progress store (what etcd is to the cluster),
// each with its own fake coordinator (which can be cut off) and its own
// fake flow actor (which records the runs it was asked to start).
//
// A committed fire carries the node that committed it: only that node
// starts it again after a restart (its own task records tell whether it
// had); another node cannot know whether the fire ran, so it does not run
// it — a cut-off owner may have run it (DESIGN §6: never twice).

#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/automation/trigger_actor.hpp"
#include "actors/cluster/errc.hpp"
#include "tests/support/actor_fixture.hpp"

namespace herald::test {
namespace {

using strings = std::vector<std::string>;
constexpr int64_t second = 1'000'000'000;

/// The progress of the one trigger, as every node's coordinator sees it.
struct shared_progress {
  std::string value;
  uint64_t revision = 0;
};

/// One node as the trigger actor sees it.
struct fake_node {
  std::string id;
  /// Cut off: its commits answer fenced (as the etcd coordinator's do once
  /// it stopped counting itself live).
  bool cut = false;
  /// Set `cut` as soon as the flow is asked to start a run: the partition
  /// falls between the fire's commit and the commit that clears it.
  bool cut_when_a_run_starts = false;
  strings runs; ///< task ids the flow was asked to start
  automation::trigger_deps deps;
};

class trigger_actor_test : public actor_fixture {
protected:
  trigger_actor_test() {
    auto doc = nlohmann::json{
        {"type", "schedule"}, {"every", "1s"}, {"workflow", "w"}};
    auto parsed = flow::trigger_def::parse("t", doc);
    EXPECT_TRUE(parsed);
    def_ = std::make_shared<const flow::trigger_def>(*parsed);
  }

  ~trigger_actor_test() override {
    for (auto& a : actors_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  /// A node named `id` with a fake coordinator and flow.
  std::shared_ptr<fake_node> make_node(const std::string& id) {
    auto n = std::make_shared<fake_node>();
    n->id = id;
    auto store = store_;
    auto coordinator =
        sys().spawn([n, store](caf::event_based_actor*) -> caf::behavior {
          return {
              [n](cluster::self_atom) {
                return cluster::member{n->id, "", ""};
              },
              [store](cluster::progress_atom, const std::string&) {
                return cluster::progress{store->value, store->revision};
              },
              [n, store](cluster::commit_atom, const std::string&,
                         uint64_t expected,
                         const std::string& value) -> caf::result<uint64_t> {
                if (n->cut)
                  return caf::make_error(cluster::errc::fenced, "cut off");
                if (expected != store->revision)
                  return caf::make_error(cluster::errc::conflict, "moved");
                store->value = value;
                return ++store->revision;
              }};
        });
    auto flow = sys().spawn([n](caf::event_based_actor*) -> caf::behavior {
      return {[n](automation::fire_atom, const std::string&, int64_t,
                  const protocol::event_ptrs&, const std::string& task) {
        n->runs.push_back(task);
        if (n->cut_when_a_run_starts)
          n->cut = true;
        return task;
      }};
    });
    actors_.push_back(coordinator);
    actors_.push_back(flow);
    n->deps.coordinator =
        caf::actor_cast<cluster::coordinator_actor>(coordinator);
    n->deps.flow = caf::actor_cast<automation::fire_runner_actor>(flow);
    n->deps.clock = [this] { return now_; };
    return n;
  }

  /// Starts the trigger on `n` and runs until idle.
  void start_on(fake_node& n) {
    auto t = automation::spawn_schedule_trigger(sys(), n.deps, def_);
    actors_.push_back(caf::actor_cast<caf::actor>(t));
    run();
  }

  /// Lets one second pass (the trigger's next instant comes due).
  void next_second() {
    now_ += second;
    advance_time(std::chrono::seconds{1});
    run();
  }

  /// The stored progress.
  flow::trigger_state state() const {
    auto s = flow::trigger_state::parse(store_->value);
    EXPECT_TRUE(s);
    return s ? *s : flow::trigger_state{};
  }

  std::shared_ptr<const flow::trigger_def> def_;
  std::shared_ptr<shared_progress> store_ = std::make_shared<shared_progress>();
  int64_t now_ = 1'700'000'000 * second;
  std::vector<caf::actor> actors_;
};

TEST_F(trigger_actor_test, a_fire_its_cut_off_owner_ran_is_not_run_again) {
  auto a = make_node("n1");
  a->cut_when_a_run_starts = true;
  start_on(*a);
  next_second();
  ASSERT_EQ(a->runs.size(), 1u) << "n1 fired once, then was cut off";
  // n1's commit clearing the fire was refused: the fire is still pending,
  // committed by n1.
  EXPECT_EQ(state().pending_task, a->runs[0]);
  EXPECT_EQ(state().pending_node, "n1");
  // n2 takes over: it cannot know that n1 ran the fire, so it leaves it.
  auto b = make_node("n2");
  start_on(*b);
  EXPECT_EQ(b->runs, strings{}) << "n2 ran n1's fire again";
  // And goes on with the next instant.
  next_second();
  ASSERT_EQ(b->runs.size(), 1u);
  EXPECT_NE(b->runs[0], a->runs[0]);
  EXPECT_EQ(state().pending_task, "") << "n2's run started: cleared";
}

TEST_F(trigger_actor_test, a_restarted_owner_starts_its_own_committed_fire) {
  auto a = make_node("n1");
  a->cut_when_a_run_starts = true;
  start_on(*a);
  next_second();
  ASSERT_EQ(a->runs.size(), 1u);
  const auto fire = a->runs[0];
  // n1 again (a restart): it asks its flow to start the fire, whose own
  // task records say whether it had (flow_actor answers without a second
  // run then).
  auto again = make_node("n1");
  start_on(*again);
  EXPECT_EQ(again->runs, strings{fire});
  EXPECT_EQ(state().pending_task, "");
}

} // namespace
} // namespace herald::test
