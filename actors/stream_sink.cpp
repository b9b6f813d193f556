#include "actors/stream_sink.hpp"

#include <algorithm>

namespace herald::actors {

stream_sink::stream_sink(size_t max_events, size_t max_bytes)
    : max_events_(std::max<size_t>(max_events, 1)),
      max_bytes_(std::max<size_t>(max_bytes, 1)) {
  // nop
}

bool stream_sink::push(std::string text, uint64_t seq) {
  return push(std::make_shared<const std::string>(std::move(text)), seq);
}

bool stream_sink::push(runtime::shared_text text, uint64_t seq) {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_ || gone_)
      return true;
    auto held_events = frames_.size() + in_flight_.size();
    auto held_bytes = queued_bytes_ + in_flight_bytes_;
    if (held_events + 1 > max_events_)
      return false;
    const size_t size = text->size();
    if (held_bytes + size > max_bytes_ && held_events > 0)
      return false;
    queued_bytes_ += size;
    frames_.push_back(stream_frame{std::move(text), seq});
    if (consumer_waiting_ && notify_) {
      consumer_waiting_ = false;
      fn = notify_;
    }
  }
  if (fn)
    fn();
  return true;
}

void stream_sink::close(uint16_t code, std::string reason) {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return;
    closed_.emplace(code, std::move(reason));
    if (consumer_waiting_ && notify_) {
      consumer_waiting_ = false;
      fn = notify_;
    }
  }
  if (fn)
    fn();
}

bool stream_sink::drained_due_locked() const {
  auto held_events = frames_.size() + in_flight_.size();
  auto held_bytes = queued_bytes_ + in_flight_bytes_;
  if (drained_until_empty_)
    return held_events == 0;
  return held_events * 2 < max_events_ && held_bytes * 2 < max_bytes_;
}

bool stream_sink::arm_drained(bool until_empty) {
  std::lock_guard<std::mutex> guard{mtx_};
  drained_until_empty_ = until_empty;
  if (drained_due_locked()) {
    drained_armed_ = false;
    return false;
  }
  drained_armed_ = true;
  return true;
}

size_t stream_sink::depth() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return frames_.size() + in_flight_.size();
}

size_t stream_sink::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queued_bytes_ + in_flight_bytes_;
}

bool stream_sink::is_consumer_gone() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return gone_;
}

void stream_sink::set_notify(std::function<void()> fn) {
  std::function<void()> call;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    notify_ = std::move(fn);
    if (consumer_waiting_ && notify_ && (!frames_.empty() || closed_)) {
      consumer_waiting_ = false;
      call = notify_;
    }
  }
  if (call)
    call();
}

bool stream_sink::pop(std::vector<stream_frame>& out, size_t max) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (gate_ && !frames_.empty() && max > 0) {
    // One frame at a time, counted by the gate, or none once it is closed.
    if (!gate_->try_take()) {
      consumer_waiting_ = true;
      return false;
    }
    max = 1;
  }
  if (frames_.empty() || max == 0) {
    consumer_waiting_ = true;
    return false;
  }
  auto n = std::min(max, frames_.size());
  for (size_t i = 0; i < n; ++i) {
    auto& f = frames_.front();
    const size_t size = f.text->size();
    queued_bytes_ -= size;
    in_flight_bytes_ += size;
    in_flight_.push_back(size);
    out.push_back(std::move(f));
    frames_.pop_front();
  }
  return true;
}

std::optional<std::pair<uint16_t, std::string>> stream_sink::closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return closed_;
}

void stream_sink::mark_written(size_t frames) {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (; frames > 0 && !in_flight_.empty(); --frames) {
      in_flight_bytes_ -= in_flight_.front();
      in_flight_.pop_front();
    }
    if (drained_armed_ && drained_due_locked()) {
      drained_armed_ = false;
      fn = drained_;
    }
  }
  if (fn)
    fn();
}

void stream_sink::consumer_gone() {
  std::function<void()> old_notify;
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (gone_)
      return;
    gone_ = true;
    if (gate_)
      gate_->close();
    frames_.clear();
    queued_bytes_ = 0;
    in_flight_.clear();
    in_flight_bytes_ = 0;
    // Destroyed outside the lock: it may own session resources.
    old_notify.swap(notify_);
    // A producer waiting for room learns that nobody reads any more.
    if (drained_armed_) {
      drained_armed_ = false;
      wake = drained_;
    }
  }
  if (wake)
    wake();
}

void stream_sink::set_drained(std::function<void()> fn) {
  std::function<void()> old;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    old.swap(drained_);
    drained_ = std::move(fn);
    if (!drained_)
      drained_armed_ = false;
  }
}

void stream_sink::set_gate(std::shared_ptr<queue_gate> gate) {
  std::lock_guard<std::mutex> guard{mtx_};
  gate_ = std::move(gate);
}

} // namespace herald::actors
