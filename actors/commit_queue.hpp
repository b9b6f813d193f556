#pragma once

// The writer's commit queue: which requests go into which append, and who
// is owed which answer afterwards. A pure class (no actors, no store):
// writer_actor holds one, keeps each request's payload and response promise
// in its ticket and turns messages into calls; tests/actors/
// commit_queue_test.cpp drives it with ints.
//
//   admit() ─▶ push() ─▶ queued ──start()──▶ in flight ──finish()──▶ replies
//     │                    │        (one batch: ≤ max_batch events of
//     │                    │         batched requests and changes, or
//     │                    │         one larger request, or one request
//     │                    │         that commits alone)
//     │                    └─ refused by the driver's check at start():
//     │                       answered there, leaves the queue
//     ├─ batched, no events: `empty`, answered at once, never queued
//     └─ over max_queued:    `overloaded`, refused at once, never queued
//
// Requests leave the queue in arrival order; at most one batch is in flight.
// `batched` and `batched_change` requests are alike from here on. A batch
// is greedy: it stops only at the end of the queue, before a request
// that would take it past max_batch, or at a request that commits alone
// (which is taken only at the head of an empty batch, and ends it). Every
// queued ticket comes back exactly once: to start()'s refuse callback, in a
// finish() settlement, or from abandon(). A flush is due once every request
// pushed before it has been answered.
//
// Thread-safety: none; the owner serializes access.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

namespace herald::actors {

/// How a request may be committed.
enum class commit_kind {
  /// With the requests queued around it (a publish); without events it is
  /// answered at once (`empty`).
  batched,
  /// With the requests queued around it like `batched`, but queued even
  /// without events: it carries something besides them (an unconditional
  /// definition change, e.g. a task record).
  batched_change,
  /// By itself, in queue order (a conditional definition change: its
  /// precondition must fail nothing else).
  alone,
};

/// Bounds of a commit_queue.
struct commit_limits {
  /// Most events per batch; a single larger request still commits, alone.
  size_t max_batch = 8192;
  /// Most events queued (the batch in flight does not count).
  size_t max_queued = 100000;
};

/// What commit_queue::admit() says about a request.
enum class commit_admission {
  queued,     ///< push() it: its ticket comes back exactly once
  empty,      ///< batched without events: answer it (empty) at once
  overloaded, ///< would take the queue past max_queued: refuse it at once
};

/// How one request of a finished batch ended.
enum class commit_verdict {
  stored,  ///< reply with its slice of the append's results
  refused, ///< the store refused this request alone; the others went ahead
  failed,  ///< the append failed: every request of the batch fails
};

/// How the append of the batch in flight ended, as the driver saw it.
struct commit_outcome {
  /// The append failed (nothing stored).
  bool failed = false;
  /// Results the append returned: anything but one per event of the batch
  /// fails the batch (settlement::short_results).
  size_t results = 0;
  /// Per request of the batch, in order: the store refused it alone.
  /// Missing entries mean "not refused".
  std::vector<bool> refused;
};

/// `Ticket`: what the driver needs to commit and answer one request (a
/// response promise and the events); `Flush`: what it needs to answer a
/// flush. Both only need to be movable.
template <class Ticket, class Flush = Ticket>
class commit_queue {
public:
  /// A request of the batch in flight.
  struct entry {
    Ticket ticket;
    size_t events = 0;
    commit_kind kind = commit_kind::batched;
  };

  /// The answer owed to one request of a finished batch.
  struct reply {
    Ticket ticket;
    commit_verdict how = commit_verdict::stored;
    /// Its results are [first, first + count) of the append's.
    size_t first = 0;
    size_t count = 0;
  };

  /// What finish() hands back: one reply per request, in request order.
  struct settlement {
    std::vector<reply> replies;
    size_t events = 0;          ///< events of the batch
    bool failed = false;        ///< every reply is commit_verdict::failed
    bool short_results = false; ///< failed: results != events
  };

  /// Everything still owed when the driver stops.
  struct leftovers {
    std::vector<Ticket> tickets; ///< in flight first, then queued, in order
    std::vector<Flush> flushes;
  };

  explicit commit_queue(commit_limits limits = {}) : limits_(limits) {
    if (limits_.max_batch == 0)
      limits_.max_batch = 1;
  }

  // -- requests ---------------------------------------------------------------

  /// Whether a request of `events` events may be queued now (queues
  /// nothing: the driver creates its ticket only for `queued`).
  commit_admission admit(size_t events, commit_kind kind) const {
    if (kind == commit_kind::batched && events == 0)
      return commit_admission::empty;
    if (queued_events_ + events > limits_.max_queued)
      return commit_admission::overloaded;
    return commit_admission::queued;
  }

  /// Queues a request admit() said `queued` to, behind all others.
  void push(Ticket ticket, size_t events, commit_kind kind) {
    queue_.push_back(waiting{std::move(ticket), events, kind, ++received_});
    queued_events_ += events;
  }

  /// Composes the next batch unless one is in flight, and returns it (the
  /// driver may move what it commits out of the tickets; they stay here
  /// until finish()). Before taking a batched request that fits, calls
  /// `refuse(Ticket&) -> bool`: true means the driver refused and answered
  /// that request alone; it leaves the queue and the batch goes on without
  /// it. Empty when a batch is in flight, nothing is queued, or every
  /// request looked at was refused.
  template <class Refuse>
  std::span<entry> start(Refuse&& refuse) {
    if (busy_ || queue_.empty())
      return {};
    size_t total = 0;
    size_t left = 0; // events of refused requests
    while (!queue_.empty()) {
      auto& front = queue_.front();
      const bool alone = front.kind == commit_kind::alone;
      if (alone && !batch_.empty())
        break;
      if (!alone) {
        if (total > 0 && total + front.events > limits_.max_batch)
          break;
        if (refuse(front.ticket)) {
          left += front.events;
          last_taken_ = front.no;
          queue_.pop_front();
          continue;
        }
      }
      total += front.events;
      last_taken_ = front.no;
      batch_.push_back(
          entry{std::move(front.ticket), front.events, front.kind});
      queue_.pop_front();
      if (alone)
        break;
    }
    queued_events_ -= total + left;
    if (batch_.empty()) {
      answered_ = last_taken_;
      return {};
    }
    batch_events_ = total;
    busy_ = true;
    return batch_;
  }

  /// The append of the batch in flight ended: hands every ticket back with
  /// its verdict and its slice of the results. Empty if nothing was in
  /// flight. Afterwards start() may compose the next batch.
  settlement finish(const commit_outcome& outcome) {
    settlement out;
    if (!busy_)
      return out;
    out.events = batch_events_;
    out.short_results = !outcome.failed && outcome.results != batch_events_;
    out.failed = outcome.failed || out.short_results;
    out.replies.reserve(batch_.size());
    size_t at = 0;
    for (size_t k = 0; k < batch_.size(); ++k) {
      auto& e = batch_[k];
      auto how = commit_verdict::stored;
      if (out.failed)
        how = commit_verdict::failed;
      else if (k < outcome.refused.size() && outcome.refused[k])
        how = commit_verdict::refused;
      out.replies.push_back(reply{std::move(e.ticket), how, at, e.events});
      at += e.events;
    }
    batch_.clear();
    batch_events_ = 0;
    busy_ = false;
    answered_ = last_taken_;
    return out;
  }

  /// Hands back every ticket still owed and every waiting flush, and
  /// forgets them (the driver answers them, e.g. with "shutting down").
  leftovers abandon() {
    leftovers out;
    for (auto& e : batch_)
      out.tickets.push_back(std::move(e.ticket));
    for (auto& w : queue_)
      out.tickets.push_back(std::move(w.ticket));
    for (auto& f : flushes_)
      out.flushes.push_back(std::move(f.flush));
    batch_.clear();
    queue_.clear();
    flushes_.clear();
    batch_events_ = 0;
    queued_events_ = 0;
    busy_ = false;
    last_taken_ = answered_ = received_;
    return out;
  }

  // -- flushes ----------------------------------------------------------------

  /// True when every request pushed so far has been answered: a flush now
  /// is due at once.
  bool all_answered() const noexcept { return answered_ >= received_; }

  /// Holds a flush until every request pushed before it is answered.
  void wait_flush(Flush flush) {
    flushes_.push_back(waiting_flush{std::move(flush), received_});
  }

  /// Takes the flushes that are due now, in arrival order.
  std::vector<Flush> due_flushes() {
    std::vector<Flush> out;
    auto keep = flushes_.begin();
    for (auto& f : flushes_) {
      if (f.after <= answered_)
        out.push_back(std::move(f.flush));
      else
        *keep++ = std::move(f);
    }
    flushes_.erase(keep, flushes_.end());
    return out;
  }

  // -- state ------------------------------------------------------------------

  bool busy() const noexcept { return busy_; }
  size_t queued() const noexcept { return queue_.size(); }
  size_t queued_events() const noexcept { return queued_events_; }
  size_t in_flight_events() const noexcept { return batch_events_; }
  size_t waiting_flushes() const noexcept { return flushes_.size(); }
  const commit_limits& limits() const noexcept { return limits_; }

private:
  struct waiting {
    Ticket ticket;
    size_t events = 0;
    commit_kind kind = commit_kind::batched;
    uint64_t no = 0; ///< arrival number, from 1
  };

  struct waiting_flush {
    Flush flush;
    uint64_t after = 0; ///< due once answered_ reaches it
  };

  commit_limits limits_;
  std::deque<waiting> queue_;
  size_t queued_events_ = 0;
  std::vector<entry> batch_; ///< in flight
  size_t batch_events_ = 0;
  bool busy_ = false;
  uint64_t received_ = 0;   ///< arrival number of the last request pushed
  uint64_t last_taken_ = 0; ///< ... of the last one taken or refused
  uint64_t answered_ = 0;   ///< every request up to it is answered
  std::vector<waiting_flush> flushes_;
};

} // namespace herald::actors
