#include "actors/writer_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <spdlog/spdlog.h>

#include "actors/commit_queue.hpp"
#include "actors/storage_codec.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_text.hpp"
#include "storage/event_store.hpp"

namespace herald::actors::detail {

/// One group commit, owned by the committer while it appends and by the
/// writer before and after (the message hand-off orders the accesses).
struct commit_job {
  std::vector<v1::Event> events;
  /// One slot per request: the definition change committed with its events
  /// (nullopt for a publish). The requests' `change` pointers point here.
  std::vector<std::optional<storage::definition_write>> changes;
  /// One per request: the version its change produced (filled by the store).
  std::vector<uint64_t> versions;
  int64_t accept_time_ns = 0;
  /// The requests of the commit, in order (one per request: its count and
  /// its publisher, null for Herald), and the publishers they point to
  /// (owned here, so the pointers stay valid while the committer appends).
  std::vector<storage::append_request> requests;
  std::vector<std::shared_ptr<const runtime::identity>> publishers;
  std::vector<protocol::publish_result> results;
  /// One slot per request: set when the store refused that request alone.
  std::vector<caf::error> refused;
  caf::error err;
};

using commit_job_ptr = std::shared_ptr<commit_job>;

} // namespace herald::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actors::detail::commit_job_ptr)

namespace herald::actors {

namespace {

using detail::commit_job;
using detail::commit_job_ptr;
using results_vec = std::vector<protocol::publish_result>;

/// `(commit_atom, commit_job_ptr) -> commit_job_ptr`: runs one append (one
/// WriteBatch, one fsync: publishes and definition changes alike) and hands
/// the job back with its results, refusals and versions, or its error.
using committer_actor = caf::typed_actor<
    caf::replies_to<commit_atom, commit_job_ptr>::with<commit_job_ptr>>;

committer_actor::behavior_type
committer_impl(committer_actor::pointer,
               std::shared_ptr<storage::event_store> store, std::string node_id,
               std::shared_ptr<writer_metrics> metrics) {
  return {
      [store, node_id, metrics](commit_atom, commit_job_ptr& job) {
        const auto started = std::chrono::steady_clock::now();
        auto res = store->append_requests(job->events, job->requests,
                                          job->refused, node_id,
                                          job->accept_time_ns, &job->versions);
        // Every commit is timed, a definition's too: it counts as a batch.
        metrics->append_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                          started)
                .count());
        if (res)
          job->results = to_protocol(std::move(*res));
        else
          job->err = std::move(res.error());
        return job;
      },
  };
}

/// Who waits for a request: a write (results) or a definition change.
struct reply_to {
  caf::typed_response_promise<results_vec> rp;
  caf::typed_response_promise<protocol::definition_result> def_rp;
  bool is_def = false;

  void fail(const caf::error& err) {
    if (is_def)
      def_rp.deliver(err);
    else
      rp.deliver(err);
  }
};

/// A request's ticket in the commit queue: who waits, and what to commit
/// (moved into the commit_job when the request is taken).
struct pending_write {
  reply_to to;
  std::vector<v1::Event> events;
  /// A define's change (nullopt for a write).
  std::optional<storage::definition_write> change;
  /// Who publishes (visibility of ids already taken); null: Herald itself.
  std::shared_ptr<const runtime::identity> who;
};

using flush_promise = caf::typed_response_promise<uint64_t>;
using write_queue = commit_queue<pending_write, flush_promise>;

struct writer_state {
  std::shared_ptr<storage::event_store> store;
  std::string node_id;
  registry_actor registry;
  committer_actor committer;
  writer_options opts;
  writer_metrics* metrics = nullptr; // owned by opts.metrics
  /// Batch composition, tickets and flushes (actors/commit_queue.hpp).
  write_queue queue;
};

using writer_pointer = writer_actor::stateful_pointer<writer_state>;

int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
      .count();
}

void publish_queued(writer_state& st) {
  st.metrics->queued_events.store(st.queue.queued_events(),
                                  std::memory_order_relaxed);
}

void answer_flushes(writer_pointer self) {
  auto& st = self->state;
  auto due = st.queue.due_flushes();
  if (due.empty())
    return;
  auto last = st.store->last_seq();
  for (auto& rp : due)
    rp.deliver(last);
}

void start_commit(writer_pointer self);

/// Settles the batch in flight: routes what it stored, answers every request
/// of it, then the due flushes, and starts the next batch.
void finish_commit(writer_pointer self, commit_job& job) {
  auto& st = self->state;
  commit_outcome outcome;
  outcome.failed = static_cast<bool>(job.err);
  outcome.results = job.results.size();
  outcome.refused.reserve(job.refused.size());
  for (const auto& err : job.refused)
    outcome.refused.push_back(static_cast<bool>(err));
  auto done = st.queue.finish(outcome);
  if (done.short_results)
    job.err = runtime::make_api_error(
        runtime::errc::internal,
        "append returned " + std::to_string(job.results.size()) +
            " results for " + std::to_string(job.events.size()) + " events");
  if (done.failed) {
    st.metrics->failed_appends.fetch_add(1, std::memory_order_relaxed);
    // Only the node's own failures are worth a log line.
    if (runtime::describe(job.err).code == runtime::errc::internal)
      spdlog::error("writer: append of {} events failed: {}", job.events.size(),
                    caf::to_string(job.err));
    for (auto& r : done.replies)
      r.ticket.to.fail(job.err);
  } else {
    st.metrics->appends.fetch_add(1, std::memory_order_relaxed);
    // Requests the store refused alone (an id the caller may not see, ...)
    // stored nothing; the rest of the commit did.
    event_ptrs fresh;
    fresh.reserve(job.events.size());
    size_t skipped = 0;
    for (const auto& r : done.replies) {
      if (r.how == commit_verdict::refused) {
        skipped += r.count;
        continue;
      }
      for (size_t i = r.first; i < r.first + r.count; ++i)
        if (!job.results[i].duplicate)
          fresh.push_back(runtime::make_shared_event(std::move(job.events[i])));
    }
    auto by_seq = [](const event_ptr& a, const event_ptr& b) {
      return a->seq() < b->seq();
    };
    if (!std::is_sorted(fresh.begin(), fresh.end(), by_seq))
      std::sort(fresh.begin(), fresh.end(), by_seq);
    st.metrics->events_stored.fetch_add(fresh.size(),
                                        std::memory_order_relaxed);
    st.metrics->duplicates.fetch_add(job.events.size() - skipped - fresh.size(),
                                     std::memory_order_relaxed);
    // Route before replying: a publisher that subscribes after its reply
    // is guaranteed a last_routed_seq covering its own events.
    if (!fresh.empty())
      self->send(st.registry, route_atom::value, std::move(fresh));
    for (size_t k = 0; k < done.replies.size(); ++k) {
      auto& r = done.replies[k];
      if (r.how == commit_verdict::refused) {
        r.ticket.to.fail(job.refused[k]);
        continue;
      }
      auto first = job.results.begin() + static_cast<ptrdiff_t>(r.first);
      results_vec part{
          std::make_move_iterator(first),
          std::make_move_iterator(first + static_cast<ptrdiff_t>(r.count))};
      if (r.ticket.to.is_def)
        r.ticket.to.def_rp.deliver(protocol::definition_result{
            k < job.versions.size() ? job.versions[k] : 0, std::move(part)});
      else
        r.ticket.to.rp.deliver(std::move(part));
    }
  }
  answer_flushes(self);
  start_commit(self);
}

void start_commit(writer_pointer self) {
  auto& st = self->state;
  auto batch = st.queue.start([&st](pending_write& w) {
    // Refuse this request alone rather than fail the whole commit. No
    // commit is in flight, so the source table cannot change under us.
    if (auto err = st.store->check_sources(w.events)) {
      w.to.fail(err);
      return true;
    }
    return false;
  });
  publish_queued(st);
  if (batch.empty()) {
    // Busy, idle, or every request looked at was refused.
    answer_flushes(self);
    return;
  }
  auto job = std::make_shared<commit_job>();
  for (auto& e : batch) {
    auto& w = e.ticket;
    if (job->events.empty()) {
      job->events = std::move(w.events);
    } else {
      job->events.insert(job->events.end(),
                         std::make_move_iterator(w.events.begin()),
                         std::make_move_iterator(w.events.end()));
    }
    job->changes.push_back(std::move(w.change));
    job->requests.push_back(
        storage::append_request{e.events, w.who.get(), nullptr});
    job->publishers.push_back(std::move(w.who));
  }
  // `changes` is complete: its elements stay where they are from here on.
  for (size_t k = 0; k < job->changes.size(); ++k)
    if (job->changes[k])
      job->requests[k].change = &*job->changes[k];
  auto total = st.queue.in_flight_events();
  auto largest = st.metrics->largest_batch.load(std::memory_order_relaxed);
  if (total > largest)
    st.metrics->largest_batch.store(total, std::memory_order_relaxed);
  st.metrics->batch_events.observe(static_cast<double>(total));
  job->accept_time_ns = now_ns();
  self->request(st.committer, caf::infinite, commit_atom::value, job)
      .then([self](commit_job_ptr& done) { finish_commit(self, *done); },
            [self](caf::error& err) {
              // The committer is gone (it is linked, so we are going down
              // too); answer the batch rather than leave it hanging.
              commit_job failed;
              failed.err = std::move(err);
              finish_commit(self, failed);
            });
}

/// Answers everything queued, in flight or waiting for a flush with `err`.
void fail_all(writer_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto left = st.queue.abandon();
  for (auto& w : left.tickets)
    w.to.fail(err);
  publish_queued(st);
  for (auto& rp : left.flushes)
    rp.deliver(err);
}

caf::error overloaded(writer_state& st) {
  st.metrics->rejected.fetch_add(1, std::memory_order_relaxed);
  return runtime::make_api_error(runtime::errc::unavailable,
                                 "writer overloaded");
}

caf::result<results_vec>
enqueue_write(writer_pointer self, std::vector<v1::Event> events,
              std::shared_ptr<const runtime::identity> who) {
  auto& st = self->state;
  auto n = events.size();
  switch (st.queue.admit(n, commit_kind::batched)) {
  case commit_admission::empty:
    return results_vec{};
  case commit_admission::overloaded:
    return overloaded(st);
  case commit_admission::queued:
    break;
  }
  st.metrics->requests.fetch_add(1, std::memory_order_relaxed);
  auto rp = self->make_response_promise<results_vec>();
  st.queue.push(pending_write{reply_to{rp, {}, false}, std::move(events),
                              std::nullopt, std::move(who)},
                n, commit_kind::batched);
  publish_queued(st);
  start_commit(self);
  return rp;
}

writer_actor::behavior_type
writer_impl(writer_pointer self, std::shared_ptr<storage::event_store> store,
            std::string node_id, registry_actor registry,
            committer_actor committer, writer_options opts) {
  auto& st = self->state;
  st.store = std::move(store);
  st.node_id = std::move(node_id);
  st.registry = std::move(registry);
  st.committer = std::move(committer);
  st.opts = std::move(opts);
  st.metrics = st.opts.metrics.get();
  st.queue = write_queue{commit_limits{st.opts.max_batch, st.opts.max_queued}};
  // The committer lives and dies with the writer.
  self->link_to(st.committer);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    fail_all(self, runtime::make_api_error(runtime::errc::unavailable,
                                           "node shutting down"));
    self->quit(msg.reason);
  });
  return {
      [self](write_atom,
             std::vector<v1::Event>& events) -> caf::result<results_vec> {
        return enqueue_write(self, std::move(events), nullptr);
      },
      [self](write_atom, std::vector<v1::Event>& events,
             runtime::identity& who) -> caf::result<results_vec> {
        return enqueue_write(
            self, std::move(events),
            std::make_shared<const runtime::identity>(std::move(who)));
      },
      [self](define_atom, protocol::definition_change& change,
             std::vector<v1::Event>& events)
          -> caf::result<protocol::definition_result> {
        auto& st = self->state;
        auto n = events.size();
        auto write = to_storage(std::move(change));
        // Unconditional changes (task records) join the group commit; a
        // precondition or a source setting commits alone.
        const auto kind = storage::may_group_commit(write)
                              ? commit_kind::batched_change
                              : commit_kind::alone;
        if (st.queue.admit(n, kind) != commit_admission::queued)
          return overloaded(st);
        st.metrics->requests.fetch_add(1, std::memory_order_relaxed);
        auto rp = self->make_response_promise<protocol::definition_result>();
        st.queue.push(pending_write{reply_to{{}, rp, true}, std::move(events),
                                    std::move(write), nullptr},
                      n, kind);
        publish_queued(st);
        start_commit(self);
        return rp;
      },
      [self](flush_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.queue.all_answered())
          return st.store->last_seq();
        auto rp = self->make_response_promise<uint64_t>();
        st.queue.wait_flush(rp);
        return rp;
      },
  };
}

} // namespace

writer_actor spawn_writer(caf::actor_system& sys,
                          std::shared_ptr<storage::event_store> store,
                          std::string node_id, registry_actor registry,
                          writer_options opts) {
  if (!opts.metrics)
    opts.metrics = std::make_shared<writer_metrics>();
  if (opts.max_batch == 0)
    opts.max_batch = 1;
  auto committer = opts.inline_io
                       ? sys.spawn(committer_impl, store, node_id, opts.metrics)
                       : sys.spawn<caf::detached>(committer_impl, store,
                                                  node_id, opts.metrics);
  return sys.spawn(writer_impl, std::move(store), std::move(node_id),
                   std::move(registry), std::move(committer), std::move(opts));
}

} // namespace herald::actors
