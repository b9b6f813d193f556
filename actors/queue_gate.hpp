#pragma once

// The hand-off counter of one queue-group member (DESIGN §4 `queue=NAME`),
// shared by the registry's routing_table (which assigns events to the member
// and must learn, when the member leaves, which of them never reached its
// socket) and the member's stream_sink (whose consumer takes frames one at a
// time to write them to the socket).
//
// Every frame the consumer takes passes the gate (try_take); closing the gate
// stops that and freezes the count. The member's frames are pushed in the
// order the registry assigned the events, so after close() the first
// `taken` assigned events count as delivered and the rest are handed back.
//
// Thread-safety: lock-free; any member from any thread. The taken count and
// the closed flag share one atomic word, so a take and a close never race.

#include <atomic>
#include <cstdint>

namespace herald::actors {

class queue_gate {
public:
  /// `capacity`: how many assigned events the member may hold before the
  /// registry prefers other members (0 = no bound known).
  explicit queue_gate(uint64_t capacity = 0) noexcept : capacity_(capacity) {}

  queue_gate(const queue_gate&) = delete;
  queue_gate& operator=(const queue_gate&) = delete;

  /// Consumer side: counts one frame about to be written to the socket.
  /// Returns false (nothing counted) once the gate is closed: the frame must
  /// not be written, it has been (or will be) handed to another member.
  bool try_take() noexcept {
    auto v = word_.load(std::memory_order_acquire);
    while ((v & closed_bit) == 0) {
      if (word_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return true;
    }
    return false;
  }

  /// Closes the gate (idempotent; either side may) and returns the final
  /// number of frames taken.
  uint64_t close() noexcept {
    return word_.fetch_or(closed_bit, std::memory_order_acq_rel) & ~closed_bit;
  }

  /// Frames taken so far (final once closed).
  uint64_t taken() const noexcept {
    return word_.load(std::memory_order_acquire) & ~closed_bit;
  }

  bool is_closed() const noexcept {
    return (word_.load(std::memory_order_acquire) & closed_bit) != 0;
  }

  uint64_t capacity() const noexcept { return capacity_; }

private:
  static constexpr uint64_t closed_bit = uint64_t{1} << 63;
  const uint64_t capacity_;
  std::atomic<uint64_t> word_{0};
};

} // namespace herald::actors
