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

#include "actors/storage_codec.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::actors::detail {

/// One group commit, owned by the committer while it appends and by the
/// writer before and after (the message hand-off orders the accesses).
struct commit_job {
  std::vector<v1::Event> events;
  /// A definition change committed with `events` (such a job carries one
  /// request only).
  std::optional<protocol::definition_change> def;
  uint64_t def_version = 0;
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

/// `(commit_atom, commit_job_ptr) -> commit_job_ptr`: runs one append and
/// hands the job back with its results or error.
using committer_actor = caf::typed_actor<
    caf::replies_to<commit_atom, commit_job_ptr>::with<commit_job_ptr>>;

committer_actor::behavior_type
committer_impl(committer_actor::pointer,
               std::shared_ptr<storage::event_store> store, std::string node_id,
               std::shared_ptr<writer_metrics> metrics) {
  return {
      [store, node_id, metrics](commit_atom, commit_job_ptr& job) {
        auto started = std::chrono::steady_clock::now();
        if (job->def) {
          auto res = store->commit_definition(
              to_storage(*job->def), job->events, node_id, job->accept_time_ns);
          if (res) {
            job->results = to_protocol(std::move(res->events));
            job->def_version = res->version;
          } else {
            job->err = std::move(res.error());
          }
          return job;
        }
        auto res =
            store->append_requests(job->events, job->requests, job->refused,
                                   node_id, job->accept_time_ns);
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

struct pending_write {
  reply_to to;
  std::vector<v1::Event> events;
  std::optional<protocol::definition_change> def;
  uint64_t ticket = 0;
  /// Who publishes (visibility of ids already taken); null: Herald itself.
  std::shared_ptr<const runtime::identity> who;
};

struct in_flight_write {
  reply_to to;
  size_t count = 0;
};

struct flush_waiter {
  caf::typed_response_promise<uint64_t> rp;
  uint64_t ticket = 0; ///< answered once done_ticket >= ticket
};

struct writer_state {
  std::shared_ptr<storage::event_store> store;
  std::string node_id;
  registry_actor registry;
  committer_actor committer;
  writer_options opts;
  writer_metrics* metrics = nullptr; // owned by opts.metrics

  std::deque<pending_write> queue;
  size_t queued_events = 0;
  bool busy = false; ///< a commit is in flight
  std::vector<in_flight_write> in_flight;
  uint64_t in_flight_ticket = 0; ///< ticket of the last request in flight
  uint64_t next_ticket = 0;      ///< ticket of the last request received
  uint64_t done_ticket = 0;      ///< every request up to it is answered
  std::vector<flush_waiter> flushes;
};

using writer_pointer = writer_actor::stateful_pointer<writer_state>;

int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
      .count();
}

void answer_flushes(writer_pointer self) {
  auto& st = self->state;
  if (st.flushes.empty())
    return;
  auto last = st.store->last_seq();
  auto i = std::partition(
      st.flushes.begin(), st.flushes.end(),
      [&](const flush_waiter& w) { return w.ticket > st.done_ticket; });
  for (auto j = i; j != st.flushes.end(); ++j)
    j->rp.deliver(last);
  st.flushes.erase(i, st.flushes.end());
}

void start_commit(writer_pointer self);

void finish_commit(writer_pointer self, commit_job& job) {
  auto& st = self->state;
  auto batch = std::move(st.in_flight);
  st.in_flight.clear();
  st.busy = false;
  if (!job.err && job.results.size() != job.events.size())
    job.err = runtime::make_api_error(
        runtime::errc::internal,
        "append returned " + std::to_string(job.results.size()) +
            " results for " + std::to_string(job.events.size()) + " events");
  if (job.err) {
    st.metrics->failed_appends.fetch_add(1, std::memory_order_relaxed);
    // A refused definition change (stale version, ...) is the caller's
    // error, not the node's.
    if (runtime::describe(job.err).code == runtime::errc::internal)
      spdlog::error("writer: append of {} events failed: {}", job.events.size(),
                    caf::to_string(job.err));
    for (auto& w : batch)
      w.to.fail(job.err);
  } else {
    st.metrics->appends.fetch_add(1, std::memory_order_relaxed);
    // Requests the store refused alone (an id the caller may not see, ...)
    // stored nothing; the rest of the commit did.
    auto refused = [&job](size_t k) {
      return k < job.refused.size() && static_cast<bool>(job.refused[k]);
    };
    event_ptrs fresh;
    fresh.reserve(job.events.size());
    size_t skipped = 0;
    for (size_t k = 0, at = 0; k < batch.size(); at += batch[k].count, ++k) {
      if (refused(k)) {
        skipped += batch[k].count;
        continue;
      }
      for (size_t i = at; i < at + batch[k].count; ++i)
        if (!job.results[i].duplicate)
          fresh.push_back(
              std::make_shared<const v1::Event>(std::move(job.events[i])));
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
    auto first = job.results.begin();
    for (size_t k = 0; k < batch.size(); ++k) {
      auto& w = batch[k];
      auto last = first + static_cast<ptrdiff_t>(w.count);
      if (refused(k)) {
        w.to.fail(job.refused[k]);
        first = last;
        continue;
      }
      results_vec part{std::make_move_iterator(first),
                       std::make_move_iterator(last)};
      if (w.to.is_def)
        w.to.def_rp.deliver(
            protocol::definition_result{job.def_version, std::move(part)});
      else
        w.to.rp.deliver(std::move(part));
      first = last;
    }
  }
  st.done_ticket = st.in_flight_ticket;
  answer_flushes(self);
  start_commit(self);
}

void start_commit(writer_pointer self) {
  auto& st = self->state;
  if (st.busy || st.queue.empty())
    return;
  auto job = std::make_shared<commit_job>();
  size_t total = 0;
  size_t refused = 0;
  while (!st.queue.empty()) {
    auto& front = st.queue.front();
    auto n = front.events.size();
    // A definition change goes alone: its precondition must not fail the
    // writes it would be batched with.
    if (front.def && (total > 0 || !st.in_flight.empty()))
      break;
    if (!front.def) {
      if (total > 0 && total + n > st.opts.max_batch)
        break;
      // Refuse this request alone rather than fail the whole commit. No
      // commit is in flight, so the source table cannot change under us.
      if (auto err = st.store->check_sources(front.events)) {
        front.to.fail(err);
        refused += n;
        st.in_flight_ticket = front.ticket;
        st.queue.pop_front();
        continue;
      }
    }
    if (job->events.empty()) {
      job->events = std::move(front.events);
    } else {
      job->events.insert(job->events.end(),
                         std::make_move_iterator(front.events.begin()),
                         std::make_move_iterator(front.events.end()));
    }
    const bool is_def = front.def.has_value();
    if (is_def)
      job->def = std::move(front.def);
    job->requests.push_back(storage::append_request{n, front.who.get()});
    job->publishers.push_back(std::move(front.who));
    st.in_flight.push_back(in_flight_write{std::move(front.to), n});
    st.in_flight_ticket = front.ticket;
    total += n;
    st.queue.pop_front();
    if (is_def)
      break;
  }
  st.queued_events -= total + refused;
  if (st.in_flight.empty()) {
    // Every request was refused: nothing to commit.
    st.metrics->queued_events.store(st.queued_events,
                                    std::memory_order_relaxed);
    st.done_ticket = st.in_flight_ticket;
    answer_flushes(self);
    return;
  }
  st.metrics->queued_events.store(st.queued_events, std::memory_order_relaxed);
  auto largest = st.metrics->largest_batch.load(std::memory_order_relaxed);
  if (total > largest)
    st.metrics->largest_batch.store(total, std::memory_order_relaxed);
  st.metrics->batch_events.observe(static_cast<double>(total));
  job->accept_time_ns = now_ns();
  st.busy = true;
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
  for (auto& w : st.in_flight)
    w.to.fail(err);
  st.in_flight.clear();
  for (auto& w : st.queue)
    w.to.fail(err);
  st.queue.clear();
  st.queued_events = 0;
  st.metrics->queued_events.store(0, std::memory_order_relaxed);
  for (auto& f : st.flushes)
    f.rp.deliver(err);
  st.flushes.clear();
}

caf::result<results_vec>
enqueue_write(writer_pointer self, std::vector<v1::Event> events,
              std::shared_ptr<const runtime::identity> who) {
  auto& st = self->state;
  if (events.empty())
    return results_vec{};
  if (st.queued_events + events.size() > st.opts.max_queued) {
    st.metrics->rejected.fetch_add(1, std::memory_order_relaxed);
    return runtime::make_api_error(runtime::errc::unavailable,
                                   "writer overloaded");
  }
  st.metrics->requests.fetch_add(1, std::memory_order_relaxed);
  auto rp = self->make_response_promise<results_vec>();
  st.queued_events += events.size();
  st.metrics->queued_events.store(st.queued_events, std::memory_order_relaxed);
  st.queue.push_back(pending_write{reply_to{rp, {}, false}, std::move(events),
                                   std::nullopt, ++st.next_ticket,
                                   std::move(who)});
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
        if (st.queued_events + events.size() > st.opts.max_queued) {
          st.metrics->rejected.fetch_add(1, std::memory_order_relaxed);
          return runtime::make_api_error(runtime::errc::unavailable,
                                         "writer overloaded");
        }
        st.metrics->requests.fetch_add(1, std::memory_order_relaxed);
        auto rp = self->make_response_promise<protocol::definition_result>();
        st.queued_events += events.size();
        st.queue.push_back(pending_write{reply_to{{}, rp, true},
                                         std::move(events), std::move(change),
                                         ++st.next_ticket, nullptr});
        start_commit(self);
        return rp;
      },
      [self](flush_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.done_ticket >= st.next_ticket)
          return st.store->last_seq();
        auto rp = self->make_response_promise<uint64_t>();
        st.flushes.push_back(flush_waiter{rp, st.next_ticket});
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
