#include "tools/herald-bench/bench_store.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <vector>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"
#include "storage/event_store.hpp"
#include "tools/herald-bench/bench_common.hpp"
#include "tools/herald-bench/bench_events.hpp"

namespace herald::bench {

namespace fs = std::filesystem;

namespace {

constexpr size_t build_batch = 8192;

} // namespace

nlohmann::json ensure_bench_store(const std::string& data_dir, uint64_t events,
                                  const std::string& tag) {
  storage::store_options sopts;
  sopts.dir = fs::path{data_dir} / "store";
  sopts.sync = false;
  auto opened = storage::event_store::open(sopts);
  if (!opened)
    return {{"error", "cannot open " + sopts.dir.string() + ": " +
                          runtime::describe(opened.error()).message}};
  auto& store = **opened;
  uint64_t built = 0;
  if (auto m = store.get_meta("bench_built"); m && *m)
    built = std::stoull(**m);
  nlohmann::json out{{"already_built", built}};
  if (built >= events) {
    out["reused"] = true;
    return out;
  }
  if (built == 0 && store.last_seq() > 0)
    return {{"error",
             sopts.dir.string() + " holds events not built by herald-bench"}};
  std::cout << tag << ": building " << events << " events in "
            << sopts.dir.string() << " (from " << built << ")\n"
            << std::flush;
  auto start = clock_type::now();
  auto from = built;
  while (built < events) {
    auto count = std::min<uint64_t>(build_batch, events - built);
    std::vector<v1::Event> batch;
    batch.reserve(count);
    for (uint64_t i = 0; i < count; ++i)
      batch.push_back(make_event(built + i, 0, 256));
    auto res = store.append(batch, "n-bench", runtime::now_unix_ns());
    if (!res)
      return {{"error", "append: " + runtime::describe(res.error()).message}};
    built += count;
    if (built % (128 * build_batch) < build_batch || built == events) {
      if (auto err = store.put_meta("bench_built", std::to_string(built)))
        return {{"error", "put_meta: " + runtime::describe(err).message}};
      std::cout << tag << ": built " << built << " ("
                << fixed(static_cast<double>(built - from) /
                             seconds_since(start),
                         0)
                << " events/s)\n"
                << std::flush;
    }
  }
  out["reused"] = false;
  out["build_seconds"] = seconds_since(start);
  out["build_events_per_s"] =
      static_cast<double>(built - from) / out["build_seconds"].get<double>();
  return out;
}

} // namespace herald::bench
