#include "tools/herald-bench/bench_common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace herald::bench {

namespace fs = std::filesystem;

int64_t mono_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             clock_type::now().time_since_epoch())
      .count();
}

double seconds_since(clock_type::time_point start) noexcept {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

nlohmann::json latency_stats::to_json() const {
  return {{"count", count},    {"p50_ms", p50_ms},   {"p90_ms", p90_ms},
          {"p99_ms", p99_ms},  {"p999_ms", p999_ms}, {"max_ms", max_ms},
          {"mean_ms", mean_ms}};
}

latency_stats summarize(std::vector<int64_t>& samples_ns) {
  latency_stats out;
  out.count = samples_ns.size();
  if (samples_ns.empty())
    return out;
  std::sort(samples_ns.begin(), samples_ns.end());
  auto at = [&](double q) {
    auto rank = static_cast<size_t>(q * static_cast<double>(out.count));
    rank = std::min(rank, out.count - 1);
    return static_cast<double>(samples_ns[rank]) / 1e6;
  };
  out.p50_ms = at(0.50);
  out.p90_ms = at(0.90);
  out.p99_ms = at(0.99);
  out.p999_ms = at(0.999);
  out.max_ms = static_cast<double>(samples_ns.back()) / 1e6;
  long double sum = std::accumulate(samples_ns.begin(), samples_ns.end(),
                                    static_cast<long double>(0));
  out.mean_ms = static_cast<double>(sum / out.count / 1e6);
  return out;
}

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::optional<long> rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  return std::nullopt;
}

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it{dir, ec}, end; !ec && it != end;
       it.increment(ec))
    if (it->is_regular_file(ec))
      total += it->file_size(ec);
  return total;
}

void report::compute_median(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    nlohmann::json::json_pointer ptr{key};
    std::vector<double> values;
    for (const auto& run : runs)
      if (run.contains(ptr) && run.at(ptr).is_number())
        values.push_back(run.at(ptr).get<double>());
    median[ptr] = bench::median(std::move(values));
  }
}

void report::compute_max(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    nlohmann::json::json_pointer ptr{key};
    std::optional<double> top;
    for (const auto& run : runs)
      if (run.contains(ptr) && run.at(ptr).is_number())
        top = std::max(top.value_or(run.at(ptr).get<double>()),
                       run.at(ptr).get<double>());
    max[ptr] = top.value_or(0);
  }
}

void report::print(const report_options& opts) const {
  for (size_t i = 0; i < runs.size(); ++i)
    std::cout << scenario << " run " << (i + 1) << ": "
              << runs[i].value("summary", std::string{}) << "\n";
  std::cout << scenario << " median of " << runs.size() << ": "
            << median.flatten().dump() << "  (load before " << load_before
            << ", after " << load_after << ")\n";
  if (!max.empty())
    std::cout << scenario << " max of " << runs.size() << ": "
              << max.flatten().dump() << "\n";
  if (opts.json) {
    nlohmann::json doc{{"scenario", scenario},
                       {"params", params},
                       {"runs", runs},
                       {"median", median},
                       {"load_before", load_before},
                       {"load_after", load_after}};
    if (!max.empty())
      doc["max"] = max;
    std::cout << doc.dump(2) << "\n";
  }
  std::cout.flush();
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string make_temp_dir(const std::string& base, const std::string& tag) {
  auto templ = (fs::path{base} / ("herald-bench-" + tag + "-XXXXXX")).string();
  fs::create_directories(base);
  if (!::mkdtemp(templ.data()))
    throw std::runtime_error("cannot create a temp dir under " + base);
  return templ;
}

} // namespace herald::bench
