#pragma once

// An open-loop publisher: offers `rate` events/s over HTTP as one small
// batch per tick, whatever the replies' pace. Tick k is sent by connection
// k % connections at start + k·tick, so a slow reply delays only that
// connection's next ticks (recorded as lag) and never the schedule. Each
// event's data carries "t": its tick's scheduled time on this process's
// monotonic clock, so latency measured from it includes any send lag
// (no coordinated omission).

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace herald::bench {

struct paced_publisher_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token; ///< bearer credential
  double rate = 10000;
  double tick_ms = 1;
  size_t connections = 4;
  size_t data_bytes = 256;
};

class paced_publisher {
public:
  explicit paced_publisher(paced_publisher_options opts);
  ~paced_publisher();
  paced_publisher(const paced_publisher&) = delete;
  paced_publisher& operator=(const paced_publisher&) = delete;

  /// Starts the schedule at `start_ns` (mono_ns) and stops sending ticks
  /// scheduled at or after `end_ns`.
  void start(int64_t start_ns, int64_t end_ns);

  /// Waits for the publisher threads (their last replies included).
  void join();

  /// Events acknowledged with 200 so far.
  uint64_t sent() const noexcept { return sent_; }
  /// Requests that failed (non-2xx or transport error).
  uint64_t failures() const noexcept { return failures_; }
  /// The first failure's description ("" if none).
  std::string first_failure() const;
  /// Largest delay of a send behind its scheduled time, ns.
  int64_t max_lag_ns() const noexcept { return max_lag_; }

  /// The ordinals [first, last) of the events whose ticks are scheduled in
  /// [from_ns, to_ns) of a schedule started at `start_ns` (what a measured
  /// window was offered; the events of ticks not yet sent included).
  std::pair<uint64_t, uint64_t>
  ordinals_between(int64_t start_ns, int64_t from_ns, int64_t to_ns) const;

private:
  /// The first event ordinal of tick `k` (tick k holds [first(k),
  /// first(k + 1))).
  uint64_t first_of_tick(uint64_t k) const;

  void loop(size_t index, int64_t start_ns, int64_t end_ns);

  paced_publisher_options opts_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<int64_t> max_lag_{0};
  std::atomic<bool> have_failure_{false};
  std::string failure_;
};

} // namespace herald::bench
