#pragma once

// What the cluster's process tests share (DESIGN §6, issue 12): a real etcd
// on loopback and up to a few real heraldd nodes of cluster "t", started on
// ephemeral ports and stopped by their PIDs (the harnesses' destructors),
// with the waits a test needs on the cluster's view of itself (bounded
// polls, never sleeps), and what the failover tests count (a trigger
// ticking every second, the next node to fire, every fired instant).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/process/process_fixture.hpp"
#include "tests/support/etcd_process.hpp"

namespace herald::test {

class cluster_fixture : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(start_etcd()); }

  /// Starts the cluster's etcd, listening on `host`.
  void start_etcd(const std::string& host = "127.0.0.1") {
    etcd_ = std::make_unique<etcd_process>(host);
    ASSERT_TRUE(etcd_->start()) << etcd_->error() << "\n" << etcd_->output();
  }

  /// Starts node `id` of the cluster with `more_args`, bound and run as
  /// `o` says (ready when this returns).
  heraldd_process& add_node(const std::string& id,
                            std::vector<std::string> more_args = {},
                            heraldd_options o = {}) {
    o.extra_args.insert(o.extra_args.end(), {"--node-id", id, "--cluster", "t",
                                             "--etcd", etcd_->url()});
    o.extra_args.insert(o.extra_args.end(), more_args.begin(), more_args.end());
    nodes_.push_back(std::make_unique<heraldd_process>(o));
    auto& n = *nodes_.back();
    EXPECT_TRUE(n.start());
    return n;
  }

  void start_three() {
    for (auto id : {"n1", "n2", "n3"})
      add_node(id);
    ASSERT_FALSE(::testing::Test::HasFailure());
  }

  heraldd_process& node(size_t i) { return *nodes_.at(i); }

  /// A client of node `i` with the cluster's admin token (the first
  /// node's: later nodes find it in the cluster and make none).
  http_client api(size_t i) {
    http_client c(node(i).http_port(), node(i).host());
    c.set_bearer_token(node(0).admin_token());
    return c;
  }

  /// The nodes list of node `i` by id.
  std::map<std::string, json> nodes_of(size_t i) {
    std::map<std::string, json> out;
    auto r = api(i).get("/api/v1/nodes");
    if (r.status != 200)
      return out;
    const auto doc =
        r.json(); // kept: a range over a temporary's member dangles
    for (const auto& n : doc["nodes"])
      out[n["id"].get<std::string>()] = n;
    return out;
  }

  /// Whether node `i` sees exactly `up` up (and any others down).
  bool sees(size_t i, const std::set<std::string>& up) {
    auto list = nodes_of(i);
    std::set<std::string> got;
    for (const auto& [id, n] : list)
      if (n["state"] == "up")
        got.insert(id);
    return got == up;
  }

  /// Starts n1-n3 and waits until each sees all three up.
  void start_three_up() {
    start_three();
    for (size_t i = 0; i < 3; ++i)
      ASSERT_TRUE(wait_for([&] { return sees(i, all_); }, 10s))
          << "node " << i << ": " << api(i).get("/api/v1/nodes").describe();
  }

  /// Every event matching `params` in node `i`'s own trail, following
  /// `next`: the query is marked `X-Herald-Fanout: local`, so no other
  /// node is asked (a query of a node of a cluster merges every node's).
  std::vector<json> local_events(size_t i, header_list params) {
    return query_all(api(i), std::move(params), {{"X-Herald-Fanout", "local"}});
  }

  /// The events named `name` in node `i`'s own trail.
  std::vector<json> events_of(size_t i, const std::string& name) {
    return local_events(i, {{"name", name}});
  }

  /// Defines workflow "tick" (emits tick.said with the fire time) and an
  /// every-second schedule trigger for it; sets `owner` to the index of the
  /// node that owns it (by n1's nodes list).
  void tick_every_second(size_t& owner) {
    auto w = api(0).put_json(
        "/api/v1/workflows/tick",
        json::parse(R"({"steps": [{"name": "say", "emit": {"name": "tick.said",
            "data": {"at": "${input.when}"}}}]})"));
    ASSERT_TRUE(w.status == 200 || w.status == 201) << w.describe();
    auto t = api(0).put_json("/api/v1/triggers/each-second",
                             {{"type", "schedule"},
                              {"every", "1s"},
                              {"workflow", "tick"},
                              {"input", {{"when", "${fire_time}"}}}});
    ASSERT_TRUE(t.status == 200 || t.status == 201) << t.describe();
    std::string id;
    for (const auto& [node_id, n] : nodes_of(0))
      for (const auto& o : n["owns"]["objects"])
        if (o == "trigger/each-second")
          id = node_id;
    ASSERT_FALSE(id.empty());
    owner = static_cast<size_t>(id[1] - '1');
  }

  /// Waits until a node other than `gone` fires; its index, or 3.
  size_t next_to_fire(size_t gone) {
    size_t found = 3;
    wait_for(
        [&] {
          for (size_t i = 0; i < 3; ++i)
            if (i != gone && !events_of(i, "tick.said").empty()) {
              found = i;
              return true;
            }
          return false;
        },
        15s);
    return found;
  }

  /// Every instant fired (tick.said's `at`) on any node: how often, where.
  std::map<std::string, std::pair<int, std::string>> fired_instants() {
    std::map<std::string, std::pair<int, std::string>> fired;
    for (size_t i = 0; i < 3; ++i)
      for (const auto& e : events_of(i, "tick.said")) {
        auto& f = fired[e["data"]["at"].get<std::string>()];
        ++f.first;
        f.second += " n" + std::to_string(i + 1) + "/seq " +
                    std::to_string(e["seq"].get<uint64_t>()) + "/task " +
                    e.value("origin", json::object()).dump();
      }
    return fired;
  }

  /// Waits until the cluster fired `more` instants beyond what the trails
  /// hold now, then checks that no instant was fired twice anywhere; the
  /// instants counted.
  size_t fires_go_on_each_once(size_t more = 3) {
    auto total = [&] {
      size_t n = 0;
      for (size_t i = 0; i < 3; ++i)
        n += events_of(i, "tick.said").size();
      return n;
    };
    const size_t before = total();
    EXPECT_TRUE(wait_for([&] { return total() >= before + more; }, 15s))
        << "the cluster stopped firing";
    const auto fired = fired_instants();
    for (const auto& [at, f] : fired)
      EXPECT_EQ(f.first, 1)
          << at << " fired " << f.first << " times:" << f.second;
    return fired.size();
  }

  const std::set<std::string> all_{"n1", "n2", "n3"};
  std::unique_ptr<etcd_process> etcd_;
  std::vector<std::unique_ptr<heraldd_process>> nodes_;
};

} // namespace herald::test
