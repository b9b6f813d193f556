#pragma once

// The bounded hand-off between a stream actor (producer, on a CAF thread)
// and its WebSocket session (consumer, on a Boost.Asio thread). Bounded in
// frames AND bytes: frames the consumer has popped but not yet written
// (mark_written) still count, so the bound covers everything the stream
// holds. A push that would overflow adds nothing and returns false; the
// producer then decides (replay waits for `drained`, live closes the stream
// with 1008).
//
// Consumer protocol:
//   set_notify(fn) once; then on every notify (and once at start):
//     while (pop(frames, n)) { for each frame: write it; mark_written(); }
//     if (auto c = closed()) { send close frame c->first, c->second; }
//   pop() returning false re-arms the notification, so no wake-up is lost.
//   consumer_gone() when the session ends.
//
// Thread-safety: every member may be called from any thread. The notify and
// drained callbacks run without the sink's lock held, on the thread that made
// them due (push/close for notify, mark_written/consumer_gone for drained);
// they must be cheap (an asio::post, a CAF send) but may call back into the
// sink.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/queue_gate.hpp"
#include "runtime/event_text.hpp"

namespace herald::actors {

/// One WebSocket text frame: one event in the requested format. The text is
/// shared (runtime/event_text.hpp): every stream sending the same event in
/// the same format holds the same bytes. Never null.
struct stream_frame {
  runtime::shared_text text;
  uint64_t seq = 0;
};

class stream_sink {
public:
  /// Bounds: at most `max_events` frames and `max_bytes` bytes of text held
  /// (DESIGN §7 defaults: 10,000 events or 8 MiB). A single frame larger
  /// than max_bytes is accepted only when the sink is otherwise empty.
  explicit stream_sink(size_t max_events = 10000, size_t max_bytes = 8u << 20);

  stream_sink(const stream_sink&) = delete;
  stream_sink& operator=(const stream_sink&) = delete;

  // -- producer ---------------------------------------------------------------

  /// Queues one frame. Returns false (nothing added) if it would exceed a
  /// bound. After close() or consumer_gone() frames are dropped and true is
  /// returned (there is nobody to overflow). A shared text counts in full
  /// against this sink's byte bound (the sink keeps it alive), however many
  /// other sinks hold it too. `text` must not be null.
  bool push(runtime::shared_text text, uint64_t seq);
  /// push() of a text of this sink's own.
  bool push(std::string text, uint64_t seq);

  /// Ends the stream with a WebSocket close code and reason, after the
  /// frames already queued. Idempotent: the first close wins.
  void close(uint16_t code, std::string reason);

  /// Arms a one-shot call of the drained callback for when the sink holds
  /// less than half of both bounds (or, with `until_empty`, nothing).
  /// Returns false and arms nothing if that is already the case: a producer
  /// that pushes only after `!arm_drained()` keeps the sink at most half
  /// full.
  bool arm_drained(bool until_empty = false);

  /// Frames held (queued plus popped-but-not-written).
  size_t depth() const;
  /// Text bytes held (queued plus popped-but-not-written).
  size_t bytes() const;
  size_t max_events() const noexcept { return max_events_; }
  size_t max_bytes() const noexcept { return max_bytes_; }
  /// True once consumer_gone() was called.
  bool is_consumer_gone() const;

  // -- consumer ---------------------------------------------------------------

  /// Sets the callback invoked whenever frames or a close become available
  /// after a pop() returned false (initially armed).
  void set_notify(std::function<void()> fn);

  /// Moves up to `max` frames (in seq order) to the end of `out`. Returns
  /// false, and re-arms notify, if there were none.
  bool pop(std::vector<stream_frame>& out, size_t max);

  /// The close code and reason once close() was called.
  std::optional<std::pair<uint16_t, std::string>> closed() const;

  /// The oldest `frames` popped frames were written (call it once per
  /// frame, or once per batch with its size): they stop counting against
  /// the bounds. Fires the drained callback if armed and now due.
  void mark_written(size_t frames = 1);

  /// The session ended: drops every frame and the notify callback; later
  /// pushes are discarded. Fires an armed drained callback so a waiting
  /// producer notices (is_consumer_gone) and stops.
  void consumer_gone();

  /// Sets the producer's drained callback (see arm_drained); null clears it.
  void set_drained(std::function<void()> fn);

  /// Queue-group member (actors/queue_gate.hpp): from now on pop() hands out
  /// at most one frame per call, and only through `gate` (the consumer
  /// writes a popped frame at once, so popped = handed to the socket);
  /// once the gate is closed pop() hands out nothing more (the queued
  /// frames went to other members) and only the close remains.
  /// consumer_gone() closes the gate. Set it before the first push.
  void set_gate(std::shared_ptr<queue_gate> gate);

private:
  bool drained_due_locked() const;

  const size_t max_events_;
  const size_t max_bytes_;
  mutable std::mutex mtx_;
  std::deque<stream_frame> frames_;
  size_t queued_bytes_ = 0;
  std::deque<size_t> in_flight_; ///< sizes of popped, unwritten frames
  size_t in_flight_bytes_ = 0;
  std::optional<std::pair<uint16_t, std::string>> closed_;
  bool gone_ = false;
  bool consumer_waiting_ = true;
  std::function<void()> notify_;
  std::function<void()> drained_;
  bool drained_armed_ = false;
  bool drained_until_empty_ = false;
  std::shared_ptr<queue_gate> gate_;
};

} // namespace herald::actors
