#include "tools/herald-bench/http_batch_publisher.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_common.hpp"

namespace herald::bench {

nlohmann::json publish_batches(const http_batch_publish& p,
                               const std::vector<std::string>& bodies) {
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mtx;
  std::string error;
  std::vector<int64_t> latencies;
  auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < p.connections; ++c)
    threads.emplace_back([&] {
      http_conn conn{p.host, p.port, p.token};
      std::vector<int64_t> local;
      for (;;) {
        auto b = next.fetch_add(1);
        if (b >= p.batches || failed)
          break;
        auto t0 = mono_ns();
        auto res = conn.post("/api/v1/events", bodies[b % bodies.size()]);
        local.push_back(mono_ns() - t0);
        if (!res.ok()) {
          std::lock_guard<std::mutex> guard{mtx};
          error = "HTTP " + std::to_string(res.status) + " " + res.error + " " +
                  res.body.substr(0, 300);
          failed = true;
          break;
        }
      }
      std::lock_guard<std::mutex> guard{mtx};
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  for (auto& t : threads)
    t.join();
  auto elapsed = seconds_since(start);
  if (failed)
    return {{"error", error}};
  auto events = p.batches * p.batch;
  auto lat = summarize(latencies);
  return {{"events", events},
          {"seconds", elapsed},
          {"events_per_s", static_cast<double>(events) / elapsed},
          {"request_latency", lat.to_json()}};
}

} // namespace herald::bench
