// Issue 11 deliveries: webhook delivery from a node to a receiver in this
// process (tools/http's http_receiver on loopback, keep-alive, answering at
// once). Four measurements per run:
//
// 1. one:     `events` events are stored first, then one subscription is
//             created with from_seq at the first of them; deliveries/s =
//             events / (last one received − PUT). The receiver checks the
//             order (each webhook-id the next expected, or a repeat).
// 2. many:    `events_many` events stored, then `subscriptions`
//             subscriptions on them; deliveries/s over all of them.
// 3. outage:  one subscription while events are published at `rate`/s; for
//             `outage_s` the receiver fails half the requests (503), then
//             answers all. Reported: the backlog when the outage ends, the
//             time until every event was delivered, and the drain rate as a
//             multiple of the publish rate.
// 4. stalled: `subscriptions` subscriptions to a dead receiver (a closed
//             port) while events are published at `stall_rate`/s for
//             `stall_s`; the node's RSS at the start and end.

#include <sys/socket.h>

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "tools/herald-bench/automation_common.hpp"
#include "tools/herald-bench/scenarios.hpp"
#include "tools/http/http_receiver.hpp"

namespace herald::bench {

namespace {

using json = nlohmann::json;

/// Publishes `n` events named `name` in batches; their ids in order.
std::vector<std::string> publish(http_conn& conn, const std::string& name,
                                 uint64_t n, std::string& error) {
  std::vector<std::string> ids;
  ids.reserve(n);
  const std::string data(64, 'x');
  while (ids.size() < n) {
    const auto k = std::min<uint64_t>(1000, n - ids.size());
    json batch = json::array();
    for (uint64_t i = 0; i < k; ++i)
      batch.push_back({{"name", name}, {"data", {{"pad", data}}}});
    auto res = conn.post("/api/v1/events", batch.dump());
    if (res.status != 200) {
      error = "publish: HTTP " + std::to_string(res.status) + " " + res.error +
              " " + res.body.substr(0, 200);
      return ids;
    }
    const auto reply = json::parse(res.body, nullptr, false);
    if (!reply.is_object() || !reply.contains("events") ||
        reply["events"].size() != k) {
      error = "publish: unexpected reply " + res.body.substr(0, 200);
      return ids;
    }
    for (const auto& e : reply["events"])
      ids.push_back(e["id"].get<std::string>());
  }
  return ids;
}

uint64_t seq_of(http_conn& conn, const std::string& id) {
  auto res = conn.get("/api/v1/events/" + id);
  if (res.status != 200)
    return 0;
  return json::parse(res.body).value("seq", uint64_t{0});
}

std::string put_sub(http_conn& conn, const std::string& id,
                    const std::string& pattern, uint64_t from_seq,
                    const std::string& url) {
  json body{{"name", pattern},
            {"destination", {{"type", "webhook"}, {"url", url}}},
            {"retry",
             {{"max_attempts", 100},
              {"max_age", "1h"},
              {"initial_backoff", "50ms"},
              {"max_backoff", "500ms"}}}};
  if (from_seq > 0)
    body["from_seq"] = from_seq;
  auto res = conn.put("/api/v1/subscriptions/" + id, body.dump());
  if (!res.ok())
    return "PUT subscription " + id + ": HTTP " + std::to_string(res.status) +
           " " + res.body.substr(0, 200);
  return {};
}

/// Checks arrival order against the published ids (repeats allowed).
struct order_check {
  std::vector<std::string> expected;
  size_t next = 0;
  uint64_t out_of_order = 0;
  std::atomic<uint64_t> delivered{0};

  void see(const std::string& id) {
    if (next < expected.size() && id == expected[next]) {
      ++next;
      delivered = next;
    } else if (next == 0 || id != expected[next - 1]) {
      ++out_of_order;
    }
  }
};

bool wait_until(const std::function<bool()>& done, double timeout_s) {
  const auto start = clock_type::now();
  while (!done()) {
    if (seconds_since(start) > timeout_s)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

json deliveries_once(const deliveries_options& opts, int run_no) {
  bench_node node;
  if (auto err = node.open(opts.node, "dl"); !err.empty())
    return {{"error", err}};
  http_conn conn{node.host(), node.port(), node.token()};
  http::http_receiver rx;
  rx.set_record(false);
  const auto tag = std::to_string(run_no);
  std::string error;
  json run;

  // 1. one subscription
  {
    auto ids = publish(conn, "bench.one", opts.events, error);
    if (!error.empty())
      return {{"error", error}};
    auto check = std::make_shared<order_check>();
    check->expected = ids;
    rx.respond_with([check](const http::received_request& r) {
      auto i = r.headers.find("webhook-id");
      check->see(i == r.headers.end() ? "" : i->second);
      return http::receiver_answer{};
    });
    const auto start = clock_type::now();
    if (auto err = put_sub(conn, "bench-one-" + tag, "bench.one",
                           seq_of(conn, ids.front()), rx.url("/one"));
        !err.empty())
      return {{"error", err}};
    if (!wait_until([&] { return check->delivered >= ids.size(); },
                    opts.timeout_s))
      return {{"error", "one: " + std::to_string(check->delivered.load()) +
                            " of " + std::to_string(ids.size()) +
                            " delivered in time"}};
    const double s = seconds_since(start);
    run["one_per_s"] = static_cast<double>(ids.size()) / s;
    run["one_out_of_order"] = check->out_of_order;
  }

  // 2. many subscriptions on the same events
  {
    auto ids = publish(conn, "bench.many", opts.events_many, error);
    if (!error.empty())
      return {{"error", error}};
    const auto from = seq_of(conn, ids.front());
    rx.respond_with(
        [](const http::received_request&) { return http::receiver_answer{}; });
    rx.clear();
    const auto start = clock_type::now();
    for (size_t i = 0; i < opts.subscriptions; ++i)
      if (auto err =
              put_sub(conn, "bench-many-" + tag + "-" + std::to_string(i),
                      "bench.many", from, rx.url("/many"));
          !err.empty())
        return {{"error", err}};
    const auto want = ids.size() * opts.subscriptions;
    if (!wait_until([&] { return rx.count() >= want; }, opts.timeout_s))
      return {{"error", "many: " + std::to_string(rx.count()) + " of " +
                            std::to_string(want) + " delivered in time"}};
    const double s = seconds_since(start);
    run["many_per_s"] = static_cast<double>(want) / s;
  }

  // 3. outage: half the requests fail for outage_s while publishing goes on
  {
    std::atomic<bool> outage{true};
    std::atomic<uint64_t> delivered{0};
    auto rng = std::make_shared<std::mt19937_64>(42);
    rx.respond_with([&outage, &delivered, rng](const http::received_request&) {
      if (outage && ((*rng)() & 1))
        return http::receiver_answer{503, "", {}, false};
      ++delivered;
      return http::receiver_answer{};
    });
    if (auto err = put_sub(conn, "bench-outage-" + tag, "bench.outage", 0,
                           rx.url("/outage"));
        !err.empty())
      return {{"error", err}};
    std::atomic<uint64_t> published{0};
    std::atomic<bool> stop{false};
    std::thread publisher([&] {
      http_conn pc{node.host(), node.port(), node.token()};
      const auto per_tick =
          std::max<uint64_t>(1, static_cast<uint64_t>(opts.rate / 10));
      auto next = clock_type::now();
      while (!stop) {
        std::string err;
        auto ids = publish(pc, "bench.outage", per_tick, err);
        published += ids.size();
        next += std::chrono::milliseconds(100);
        std::this_thread::sleep_until(next);
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(opts.outage_s * 1000)));
    const uint64_t backlog = published - delivered;
    outage = false;
    const auto end = clock_type::now();
    const bool drained =
        wait_until([&] { return delivered >= published && published > 0; },
                   opts.timeout_s);
    const double recovery_s = seconds_since(end);
    stop = true;
    publisher.join();
    if (!drained)
      return {{"error", "outage: backlog not drained in time"}};
    const double published_during = opts.rate * recovery_s;
    const double drain_rate =
        (static_cast<double>(backlog) + published_during) /
        std::max(recovery_s, 1e-3);
    run["outage_backlog"] = backlog;
    run["outage_recovery_s"] = recovery_s;
    run["outage_drain_x_publish"] = drain_rate / opts.rate;
  }

  // 4. stalled: subscriptions on a dead receiver, publishing continues
  {
    const auto dead = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
    for (size_t i = 0; i < opts.subscriptions; ++i)
      if (auto err =
              put_sub(conn, "bench-stall-" + tag + "-" + std::to_string(i),
                      "bench.stall", 0, dead);
          !err.empty())
        return {{"error", err}};
    std::optional<rss_sampler> rss;
    if (node.pid() > 0)
      rss.emplace(node.pid(), 200);
    const long rss_start = node.pid() > 0 ? rss_kib(node.pid()).value_or(0) : 0;
    const auto start = clock_type::now();
    uint64_t published = 0;
    auto next = clock_type::now();
    const auto per_tick =
        std::max<uint64_t>(1, static_cast<uint64_t>(opts.stall_rate / 10));
    while (seconds_since(start) < opts.stall_s) {
      published += publish(conn, "bench.stall", per_tick, error).size();
      if (!error.empty())
        return {{"error", error}};
      next += std::chrono::milliseconds(100);
      std::this_thread::sleep_until(next);
    }
    run["stall_published"] = published;
    if (rss) {
      run["stall_rss_mib_start"] = mib(rss_start);
      run["stall_rss_mib_end"] = mib(rss->last_kib());
      run["stall_rss_mib_peak"] = mib(rss->peak_kib());
    }
  }

  run["summary"] =
      "one subscription " + fixed(run["one_per_s"].get<double>(), 0) +
      " deliveries/s (" + std::to_string(opts.events) + " events, " +
      std::to_string(run["one_out_of_order"].get<uint64_t>()) +
      " out of order); " + std::to_string(opts.subscriptions) +
      " subscriptions " + fixed(run["many_per_s"].get<double>(), 0) +
      " deliveries/s; outage " + fixed(opts.outage_s, 0) + " s at " +
      fixed(opts.rate, 0) + "/s: backlog " +
      std::to_string(run["outage_backlog"].get<uint64_t>()) + ", drained in " +
      fixed(run["outage_recovery_s"].get<double>(), 2) +
      " s = " + fixed(run["outage_drain_x_publish"].get<double>(), 1) +
      "x the publish rate; stalled: RSS " +
      (run.contains("stall_rss_mib_start")
           ? fixed(run["stall_rss_mib_start"].get<double>(), 0) + " → " +
                 fixed(run["stall_rss_mib_end"].get<double>(), 0) +
                 " MiB (peak " +
                 fixed(run["stall_rss_mib_peak"].get<double>(), 0) + ")"
           : std::string{"n/a (url node)"}) +
      " over " + fixed(opts.stall_s, 0) + " s, " +
      std::to_string(run["stall_published"].get<uint64_t>()) + " events";
  return run;
}

} // namespace

int run_deliveries(const deliveries_options& opts) {
  report rep;
  rep.scenario = "deliveries";
  rep.params = {{"events", opts.events},
                {"events_many", opts.events_many},
                {"subscriptions", opts.subscriptions},
                {"outage_s", opts.outage_s},
                {"rate", opts.rate},
                {"stall_s", opts.stall_s},
                {"stall_rate", opts.stall_rate},
                {"durability", opts.node.durability},
                {"url", opts.node.url},
                {"repeat", opts.repeat}};
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = deliveries_once(opts, r);
    if (run.contains("error")) {
      std::cerr << "deliveries: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/one_per_s", "/many_per_s", "/outage_drain_x_publish",
                      "/outage_recovery_s"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
