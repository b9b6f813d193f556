#include "actors/replay_cursor.hpp"

#include <algorithm>
#include <utility>

namespace herald::actors {

using step = replay_cursor::step;

namespace {

step make_step(step::kind what) {
  step s;
  s.what = what;
  return s;
}

} // namespace

replay_cursor::replay_cursor() : replay_cursor(options{}) {}

replay_cursor::replay_cursor(options opts, stream_metrics* metrics)
    : opts_(opts), metrics_(metrics) {
  if (opts_.max_held == 0)
    opts_.max_held = 1;
  if (opts_.from_seq && *opts_.from_seq > 0)
    last_sent_ = *opts_.from_seq - 1;
}

uint64_t replay_cursor::covered() const noexcept {
  return std::max(last_sent_, replay_high_);
}

void replay_cursor::bump(std::atomic<uint64_t> stream_metrics::*counter) {
  if (metrics_)
    (metrics_->*counter).fetch_add(1, std::memory_order_relaxed);
}

step replay_cursor::close(step s) {
  phase_ = phase::closed;
  return s;
}

step replay_cursor::on_subscribed(output& out) {
  if (phase_ != phase::subscribing)
    return {};
  if (opts_.replay) {
    phase_ = phase::replaying;
    return start_pass(true);
  }
  phase_ = phase::live;
  if (held_.empty())
    return {};
  event_ptrs early{held_.begin(), held_.end()};
  held_.clear();
  return deliver_live(early, out);
}

step replay_cursor::on_page(event_ptrs events, uint64_t last_examined_seq,
                            bool more, output& out) {
  if (phase_ == phase::closed)
    return {};
  query_in_flight_ = false;
  for (auto& ev : events) {
    if (!ev)
      continue;
    replay_high_ = std::max(replay_high_, ev->seq());
    pending_.push_back(std::move(ev));
  }
  replay_high_ = std::max(replay_high_, last_examined_seq);
  more_ = more;
  return pump(out);
}

step replay_cursor::on_live(const event_ptrs& events, output& out) {
  if (phase_ == phase::closed)
    return {};
  if (phase_ == phase::live)
    return deliver_live(events, out);
  hold(events);
  return {};
}

step replay_cursor::on_remote(const event_ptrs& events, output& out) {
  if (phase_ == phase::closed)
    return {};
  for (const auto& ev : events) {
    if (!ev)
      continue;
    if (!out.push(ev)) {
      auto s = make_step(step::kind::slow_consumer);
      if (!opts_.queue_member)
        s.resume_from = last_sent_ + 1;
      return close(s);
    }
    bump(&stream_metrics::live);
  }
  if (out.consumer_gone())
    return close(make_step(step::kind::stop));
  return {};
}

step replay_cursor::on_drained(output& out) {
  waiting_drain_ = false;
  return pump(out);
}

/// A replay pass: the first with the stream's from_seq (or since), later
/// ones (after a held-buffer overflow) from just above what is covered.
step replay_cursor::start_pass(bool first) {
  more_ = true;
  bump(&stream_metrics::passes);
  return request_page(true, first ? opts_.from_seq : covered() + 1);
}

step replay_cursor::request_page(bool new_pass,
                                 std::optional<uint64_t> from_seq) {
  query_in_flight_ = true;
  bump(&stream_metrics::queries);
  auto s = make_step(step::kind::query);
  s.new_pass = new_pass;
  s.from_seq = from_seq;
  return s;
}

/// Drives the replay: output <- pending <- pages <- held, then live.
step replay_cursor::pump(output& out) {
  if (phase_ != phase::replaying || waiting_drain_)
    return {};
  if (out.consumer_gone())
    return close(make_step(step::kind::stop));
  for (;;) {
    while (!pending_.empty()) {
      const auto& ev = pending_.front();
      if (ev->seq() <= last_sent_) {
        pending_.pop_front();
        continue;
      }
      if (!out.push_paced(ev)) {
        waiting_drain_ = true;
        bump(&stream_metrics::waits);
        return {};
      }
      bump(&stream_metrics::replayed);
      last_sent_ = ev->seq();
      pending_.pop_front();
    }
    if (query_in_flight_)
      return {};
    if (more_)
      return request_page(false, std::nullopt);
    // This pass reached the end of the store.
    if (overflowed_) {
      if (covered() < dropped_high_)
        return start_pass(false);
      overflowed_ = false; // every dropped event has been replayed
    }
    if (held_.empty()) {
      phase_ = phase::live;
      pending_.clear();
      return {};
    }
    auto floor = covered();
    for (auto& ev : held_)
      if (ev->seq() > floor)
        pending_.push_back(std::move(ev));
    held_.clear();
  }
}

/// Live events before the replay ended: keep those above what the replay
/// covers, up to max_held; beyond, drop them all and replay past them.
void replay_cursor::hold(const event_ptrs& events) {
  auto floor = covered();
  for (const auto& ev : events) {
    if (!ev || ev->seq() <= floor)
      continue;
    if (!overflowed_ && held_.size() >= opts_.max_held) {
      overflowed_ = true;
      bump(&stream_metrics::overflows);
      if (!held_.empty())
        dropped_high_ = std::max(dropped_high_, held_.back()->seq());
      std::deque<event_ptr>{}.swap(held_); // release the memory
    }
    if (overflowed_) {
      dropped_high_ = std::max(dropped_high_, ev->seq());
      continue;
    }
    held_.push_back(ev);
    bump(&stream_metrics::held);
  }
}

step replay_cursor::deliver_live(const event_ptrs& events, output& out) {
  for (const auto& ev : events) {
    if (!ev)
      continue;
    if (!opts_.queue_member && ev->seq() <= covered())
      continue;
    if (!out.push(ev)) {
      auto s = make_step(step::kind::slow_consumer);
      if (!opts_.queue_member)
        s.resume_from = ev->seq();
      return close(s);
    }
    bump(&stream_metrics::live);
    last_sent_ = std::max(last_sent_, ev->seq());
  }
  if (out.consumer_gone())
    return close(make_step(step::kind::stop));
  return {};
}

} // namespace herald::actors
