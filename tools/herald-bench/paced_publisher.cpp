#include "tools/herald-bench/paced_publisher.hpp"

#include <cmath>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_common.hpp"
#include "tools/herald-bench/bench_events.hpp"

namespace herald::bench {

paced_publisher::paced_publisher(paced_publisher_options opts)
    : opts_(std::move(opts)) {}

paced_publisher::~paced_publisher() {
  join();
}

void paced_publisher::start(int64_t start_ns, int64_t end_ns) {
  for (size_t i = 0; i < opts_.connections; ++i)
    threads_.emplace_back(
        [this, i, start_ns, end_ns] { loop(i, start_ns, end_ns); });
}

void paced_publisher::join() {
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

std::string paced_publisher::first_failure() const {
  return have_failure_ ? failure_ : std::string{};
}

uint64_t paced_publisher::first_of_tick(uint64_t k) const {
  double per_tick = opts_.rate * opts_.tick_ms / 1000.0;
  return static_cast<uint64_t>(std::floor(static_cast<double>(k) * per_tick));
}

std::pair<uint64_t, uint64_t>
paced_publisher::ordinals_between(int64_t start_ns, int64_t from_ns,
                                  int64_t to_ns) const {
  auto tick_ns = static_cast<int64_t>(opts_.tick_ms * 1e6);
  // The first tick scheduled at or after t.
  auto tick_at = [&](int64_t t) -> uint64_t {
    if (t <= start_ns)
      return 0;
    return static_cast<uint64_t>((t - start_ns + tick_ns - 1) / tick_ns);
  };
  return {first_of_tick(tick_at(from_ns)), first_of_tick(tick_at(to_ns))};
}

void paced_publisher::loop(size_t index, int64_t start_ns, int64_t end_ns) {
  http_conn conn{opts_.host, opts_.port, opts_.token};
  auto tick_ns = static_cast<int64_t>(opts_.tick_ms * 1e6);
  for (uint64_t k = index;; k += opts_.connections) {
    int64_t sched = start_ns + static_cast<int64_t>(k) * tick_ns;
    if (sched >= end_ns)
      break;
    auto first = first_of_tick(k);
    auto count = first_of_tick(k + 1) - first;
    if (count == 0)
      continue;
    auto body = make_batch_json(first, count, sched, opts_.data_bytes);
    auto now = mono_ns();
    if (now < sched) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(sched - now));
      now = mono_ns();
    }
    auto lag = now - sched;
    auto prev = max_lag_.load();
    while (lag > prev && !max_lag_.compare_exchange_weak(prev, lag)) {
    }
    auto res = conn.post("/api/v1/events", std::move(body));
    if (res.ok()) {
      sent_ += count;
    } else {
      if (failures_++ == 0) {
        failure_ = "HTTP " + std::to_string(res.status) + " " + res.error +
                   " " + res.body.substr(0, 300);
        have_failure_ = true;
      }
    }
  }
}

} // namespace herald::bench
