#include "actors/cluster/local_coordinator.hpp"

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/cluster/membership_listeners.hpp"
#include "actors/cluster/membership_table.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::cluster::detail {

/// One group of progress commits: owned by the committer while it writes,
/// by the coordinator before and after (the message hand-off orders the
/// accesses).
struct progress_job {
  std::vector<storage::progress_write> writes;
  /// One per write when the call succeeded: its revision or its refusal.
  std::vector<caf::expected<uint64_t>> results;
  /// The call failed: nothing was written.
  caf::error err;
};

using progress_job_ptr = std::shared_ptr<progress_job>;

} // namespace herald::cluster::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::cluster::detail::progress_job_ptr)

namespace herald::cluster {

namespace {

using detail::progress_job;
using detail::progress_job_ptr;

/// `(commit_atom, progress_job_ptr) -> progress_job_ptr`: writes one group
/// (event_store::commit_progress_batch) and hands it back with its results.
using committer_actor = caf::typed_actor<
    caf::replies_to<commit_atom, progress_job_ptr>::with<progress_job_ptr>>;

committer_actor::behavior_type
committer_impl(committer_actor::pointer,
               std::shared_ptr<storage::event_store> store) {
  return {
      [store](commit_atom, progress_job_ptr& job) {
        auto res = store->commit_progress_batch(job->writes);
        if (res)
          job->results = std::move(*res);
        else
          job->err = std::move(res.error());
        return job;
      },
  };
}

using revision_promise = caf::typed_response_promise<uint64_t>;

/// A commit waiting for its group.
struct waiting_commit {
  storage::progress_write write;
  revision_promise rp;
};

struct local_coordinator_state {
  static inline const char* name = "herald.local_coordinator";

  std::shared_ptr<storage::event_store> store;
  member self;
  membership_table table{std::string{}};
  membership_listeners listeners;

  committer_actor committer;
  size_t max_group = 4096;
  std::shared_ptr<local_coordinator_metrics> metrics;
  /// Commits received while a group is in flight, in arrival order.
  std::deque<waiting_commit> queued;
  /// Who waits for the group in flight (in its order); empty when idle.
  std::vector<revision_promise> in_flight;
  /// A leave arrived while commits were queued or in flight: it takes
  /// effect once they are answered; commits arriving meanwhile are fenced.
  bool leaving = false;
  std::vector<caf::typed_response_promise<membership>> leaves;
};

using local_coordinator_actor =
    coordinator_actor::stateful_pointer<local_coordinator_state>;

/// The store's compare-and-set failed on the revision (not an I/O error).
bool is_revision_conflict(const caf::error& err) {
  return err.category() == caf::atom("herald") &&
         err.code() == static_cast<uint8_t>(runtime::errc::conflict);
}

/// errc::fenced unless this node may commit `key` now.
caf::error fence(const local_coordinator_state& st, const std::string& key) {
  if (st.leaving || !st.table.self_live())
    return caf::make_error(errc::fenced,
                           "node " + st.self.id + " left the cluster");
  auto owner = st.table.owner_of(key);
  if (!owner.local)
    return caf::make_error(errc::fenced, key + " is owned by " + owner.owner);
  return caf::error{};
}

/// Answers one commit of a written group with its store result.
void answer(revision_promise& rp, caf::expected<uint64_t>& res) {
  if (res)
    rp.deliver(*res);
  else if (is_revision_conflict(res.error()))
    rp.deliver(caf::make_error(errc::conflict,
                               runtime::describe(res.error()).message));
  else
    rp.deliver(std::move(res.error()));
}

/// Leaves the membership now: watchers get the view without this node.
membership leave_now(local_coordinator_actor self) {
  auto& st = self->state;
  st.leaving = false;
  if (st.table.update({}))
    st.listeners.send(self, st.table.current());
  auto view = st.table.current();
  for (auto& rp : st.leaves)
    rp.deliver(view);
  st.leaves.clear();
  return view;
}

void finish_group(local_coordinator_actor self, progress_job& job);

/// Writes the next group unless one is in flight or nothing waits.
void start_group(local_coordinator_actor self) {
  auto& st = self->state;
  if (!st.in_flight.empty() || st.queued.empty())
    return;
  // Every queued commit passed the fence when it arrived, and the table
  // changes only by a leave, which waits for them.
  auto job = std::make_shared<progress_job>();
  const auto n = std::min(st.queued.size(), st.max_group);
  job->writes.reserve(n);
  st.in_flight.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    auto& w = st.queued.front();
    job->writes.push_back(std::move(w.write));
    st.in_flight.push_back(std::move(w.rp));
    st.queued.pop_front();
  }
  st.metrics->groups.fetch_add(1, std::memory_order_relaxed);
  if (n > st.metrics->largest_group.load(std::memory_order_relaxed))
    st.metrics->largest_group.store(n, std::memory_order_relaxed);
  self->request(st.committer, caf::infinite, commit_atom::value, job)
      .then([self](progress_job_ptr& done) { finish_group(self, *done); },
            [self](caf::error& err) {
              // The committer is gone (linked: we are going down too).
              progress_job failed;
              failed.err = std::move(err);
              finish_group(self, failed);
            });
}

/// Answers every commit of the group in flight, then writes the next group
/// or, once nothing is left, carries out a waiting leave.
void finish_group(local_coordinator_actor self, progress_job& job) {
  auto& st = self->state;
  auto waiting = std::move(st.in_flight);
  st.in_flight.clear();
  for (size_t k = 0; k < waiting.size(); ++k) {
    if (job.err)
      waiting[k].deliver(job.err);
    else if (k < job.results.size())
      answer(waiting[k], job.results[k]);
    else
      waiting[k].deliver(runtime::make_api_error(
          runtime::errc::internal,
          "progress write returned " + std::to_string(job.results.size()) +
              " results for " + std::to_string(waiting.size())));
  }
  st.metrics->commits.fetch_add(waiting.size(), std::memory_order_relaxed);
  if (!st.queued.empty())
    start_group(self);
  else if (st.leaving)
    leave_now(self);
}

coordinator_actor::behavior_type
local_coordinator(local_coordinator_actor self,
                  std::shared_ptr<storage::event_store> store,
                  committer_actor committer, local_coordinator_options opts) {
  auto& st = self->state;
  st.store = std::move(store);
  st.self = opts.self;
  st.table = membership_table{opts.self.id};
  st.table.update({opts.self});
  st.committer = std::move(committer);
  st.max_group = std::max<size_t>(opts.max_group, 1);
  st.metrics = std::move(opts.metrics);
  // The committer lives and dies with the coordinator.
  self->link_to(st.committer);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    auto gone = caf::make_error(errc::unavailable,
                                "coordinator of " + st.self.id + " stopped");
    for (auto& rp : st.in_flight)
      rp.deliver(gone);
    for (auto& w : st.queued)
      w.rp.deliver(gone);
    for (auto& rp : st.leaves)
      rp.deliver(gone);
    st.in_flight.clear();
    st.queued.clear();
    st.leaves.clear();
    self->quit(msg.reason);
  });
  self->set_down_handler(
      [self](caf::down_msg& msg) { self->state.listeners.down(msg); });
  return {
      [self](members_atom) { return self->state.table.current(); },
      [self](self_atom) { return self->state.self; },
      [self](owner_atom, const std::string& key) {
        return self->state.table.owner_of(key);
      },
      [self](watch_atom, const membership_listener& l) {
        self->state.listeners.add(self, l);
        return self->state.table.current();
      },
      [self](unwatch_atom, const membership_listener& l) {
        self->state.listeners.remove(self, l);
      },
      [self](progress_atom, const std::string& key) -> caf::result<progress> {
        auto got = self->state.store->get_progress(key);
        if (!got)
          return std::move(got.error());
        if (!*got)
          return progress{};
        return progress{std::move((*got)->value), (*got)->revision};
      },
      [self](commit_atom, std::string& key, uint64_t expected,
             std::string& value) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (auto err = fence(st, key))
          return err;
        auto rp = self->make_response_promise<uint64_t>();
        st.queued.push_back(waiting_commit{
            storage::progress_write{std::move(key), expected, std::move(value)},
            rp});
        start_group(self);
        return rp;
      },
      [self](leave_atom) -> caf::result<membership> {
        auto& st = self->state;
        if (st.in_flight.empty() && st.queued.empty())
          return leave_now(self);
        st.leaving = true;
        auto rp = self->make_response_promise<membership>();
        st.leaves.push_back(rp);
        return rp;
      },
  };
}

} // namespace

coordinator_actor
spawn_local_coordinator(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        local_coordinator_options opts) {
  if (!opts.metrics)
    opts.metrics = std::make_shared<local_coordinator_metrics>();
  if (opts.inline_io) {
    auto committer = sys.spawn(committer_impl, store);
    return sys.spawn(local_coordinator, std::move(store), std::move(committer),
                     std::move(opts));
  }
  auto committer = sys.spawn<caf::detached>(committer_impl, store);
  return sys.spawn<caf::detached>(local_coordinator, std::move(store),
                                  std::move(committer), std::move(opts));
}

} // namespace herald::cluster
