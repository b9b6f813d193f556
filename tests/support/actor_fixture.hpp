#pragma once

// GoogleTest fixtures for actor tests.
//
// actor_fixture: an actor_system on CAF's deterministic test_coordinator
// (scheduler.policy = "testing"; caf/test/dsl.hpp crashes under GoogleTest)
// plus an event_store in a fresh temp dir. Nothing runs until the test
// drives it: run() until idle, run_once() one message, run_actor(h) one
// message of a given actor, advance_time() for timeouts. Requests are made by
// small client actors (request()) whose replies land in a reply_slot, so a
// test can interleave steps exactly.
//
// live_actor_fixture: the same with the real work-stealing scheduler (two
// threads), for the few end-to-end tests; wait with wait_for(), never sleep.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include "actors/node.hpp"
#include "actors/type_ids.hpp"
#include "storage/event_store.hpp"

namespace herald::test {

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
};

/// A native event for tests: `name`, source "test", time 1 s after the
/// epoch, and an id of "<name>-<n>" (n counts per process) unless given.
v1::Event make_event(const std::string& name, std::string id = {});

/// Where a client actor's reply lands.
template <class T>
struct reply_slot {
  std::optional<caf::expected<T>> value;
  bool ready() const { return value.has_value(); }
  bool ok() const { return value && static_cast<bool>(*value); }
  /// The reply; fails the test (and returns a default) if not ready or an
  /// error.
  T get() const {
    if (!value) {
      ADD_FAILURE() << "no reply yet";
      return T{};
    }
    if (!*value) {
      ADD_FAILURE() << "error reply: " << caf::to_string(value->error());
      return T{};
    }
    return **value;
  }
  caf::error error() const {
    return value && !*value ? value->error() : caf::error{};
  }
};

/// Events a collector actor received via (deliver_atom, event_ptrs).
struct delivery_log {
  std::vector<actors::event_ptrs> batches;
  std::vector<uint64_t> seqs() const;
  size_t size() const;
};

class actor_fixture : public ::testing::Test {
protected:
  actor_fixture();
  ~actor_fixture() override;

  caf::actor_system& sys() { return *sys_; }
  caf::scheduler::test_coordinator& sched() { return *sched_; }
  storage::event_store& store() { return *store_; }
  std::shared_ptr<storage::event_store> store_ptr() { return store_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  /// Runs jobs until none is left; returns how many messages ran.
  size_t run() { return sched_->run(); }
  /// Runs one message of the first job; false if there was none.
  bool run_once() { return sched_->try_run_once(); }
  /// Runs one message of `h` if it has one pending; false otherwise.
  template <class Handle>
  bool run_actor(const Handle& h) {
    if (!sched_->prioritize(h))
      return false;
    sched_->run_once();
    return true;
  }
  /// Advances the simulated clock; returns the timeouts triggered.
  size_t advance_time(caf::timespan d) { return sched_->advance_time(d); }

  /// Spawns a node (inline_io, so nothing leaves the test scheduler) that
  /// stop_node()s in the fixture's destructor.
  actors::node_handles spawn_test_node(actors::node_options opts = {});

  /// Sends a request from a fresh client actor to `dest` and returns the
  /// slot its reply lands in. The request is in dest's mailbox on return;
  /// nothing else has run.
  template <class T, class Handle, class... Ts>
  std::shared_ptr<reply_slot<T>> request(const Handle& dest, Ts... xs) {
    auto slot = std::make_shared<reply_slot<T>>();
    auto client = sys_->spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...)
          .then([slot](T& x) { slot->value = std::move(x); },
                [slot](caf::error& err) { slot->value = std::move(err); });
    });
    run_actor(client); // initializes the client: it sends the request
    return slot;
  }

  /// Write request for `events` to the node's writer (see request()).
  std::shared_ptr<reply_slot<std::vector<protocol::publish_result>>>
  write(const actors::node_handles& node, std::vector<v1::Event> events);

  /// Publishes and runs until idle; returns the results (test fails on
  /// error).
  std::vector<protocol::publish_result>
  publish(const actors::node_handles& node, std::vector<v1::Event> events);

  /// An actor that appends every (deliver_atom, event_ptrs) to the log.
  caf::actor spawn_collector(std::shared_ptr<delivery_log> log);

  /// Subscribes `subscriber` and runs until idle; returns the reply.
  caf::expected<uint64_t> subscribe(const actors::node_handles& node,
                                    actors::subscription sub,
                                    const caf::actor& subscriber);

  /// Registry stats after running until idle.
  actors::registry_stats registry_stats(const actors::node_handles& node);

private:
  temp_dir dir_;
  std::shared_ptr<storage::event_store> store_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::vector<actors::node_handles> nodes_;
};

class live_actor_fixture : public ::testing::Test {
protected:
  live_actor_fixture();
  ~live_actor_fixture() override;

  caf::actor_system& sys() { return *sys_; }
  std::shared_ptr<storage::event_store> store_ptr() { return store_; }

  /// Spawns a node with real threads (detached committer and readers),
  /// stopped in the destructor.
  actors::node_handles spawn_live_node(actors::node_options opts = {});

  /// Waits until `pred` holds, re-checking whenever notify() is called and
  /// at least every 50 ms, up to `deadline`. Returns pred().
  bool wait_for(const std::function<bool()>& pred,
                std::chrono::milliseconds deadline);
  /// Wakes wait_for (call from any thread, e.g. a sink's notify callback).
  void notify();

private:
  temp_dir dir_;
  std::shared_ptr<storage::event_store> store_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::vector<actors::node_handles> nodes_;
  std::mutex mtx_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;
};

} // namespace herald::test
