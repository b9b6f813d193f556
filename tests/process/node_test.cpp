// Node lifecycle (DESIGN §6, §7 "Node", "System events"): startup files and
// probes, server.ready / server.shutdown, config files, kill -9 durability.

#include <algorithm>
#include <map>
#include <set>

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::HasSubstr;

using node_startup = process_test;

TEST_F(node_startup, writes_ports_json_and_answers_health_probes) {
  const auto& ports = node().ports();
  ASSERT_TRUE(ports.is_object()) << ports.dump();
  ASSERT_TRUE(ports.contains("http") && ports["http"].is_number_unsigned())
      << ports.dump();
  ASSERT_TRUE(ports.contains("node") && ports["node"].is_number_unsigned())
      << ports.dump();
  EXPECT_EQ(ports["http"].get<uint16_t>(), node().http_port());
  EXPECT_NE(node().http_port(), 0);
  // Written atomically: no temp file left next to it.
  for (const auto& entry :
       std::filesystem::directory_iterator(node().data_dir()))
    EXPECT_FALSE(entry.path().filename().string().starts_with("ports.json."))
        << "leftover " << entry.path();
  auto healthz = http().get("/healthz");
  EXPECT_EQ(healthz.status, 200) << healthz.describe();
  auto readyz = http().get("/readyz");
  EXPECT_EQ(readyz.status, 200) << readyz.describe();
}

TEST_F(node_startup, server_ready_is_a_sys_event_in_the_audit_trail) {
  auto events = query_all(http(), {{"name", "server.ready"}});
  ASSERT_EQ(events.size(), 1u) << json(events).dump();
  const auto& e = events[0];
  EXPECT_EQ(e.value("name", ""), "server.ready");
  EXPECT_EQ(e.value("kind", ""), "sys");
  EXPECT_EQ(e.value("source", ""), "herald");
  EXPECT_GE(e.value("seq", int64_t{0}), 1);
  EXPECT_FALSE(e.value("id", "").empty()) << e.dump();
  EXPECT_TRUE(e.value("time", "").ends_with("Z")) << e.dump();
}

TEST(node_lifecycle, sigterm_exits_0_and_records_server_shutdown) {
  heraldd_process node;
  ASSERT_TRUE(node.start());
  EXPECT_EQ(node.stop(), 0) << "heraldd must drain and exit 0 on SIGTERM";
  ASSERT_TRUE(node.restart());
  auto client = node.http();
  auto shutdown = query_all(client, {{"name", "server.shutdown"}});
  ASSERT_EQ(shutdown.size(), 1u) << json(shutdown).dump();
  EXPECT_EQ(shutdown[0].value("kind", ""), "sys");
  EXPECT_EQ(shutdown[0].value("source", ""), "herald");
  ASSERT_TRUE(shutdown[0].contains("data")) << shutdown[0].dump();
  EXPECT_EQ(shutdown[0]["data"].value("reason", ""), "SIGTERM")
      << shutdown[0].dump();
  // Both runs announced themselves; the shutdown lies between them.
  auto ready = query_all(client, {{"name", "server.ready"}});
  ASSERT_EQ(ready.size(), 2u) << json(ready).dump();
  auto shutdown_seq = shutdown[0].value("seq", int64_t{0});
  EXPECT_LT(ready[0].value("seq", int64_t{0}), shutdown_seq);
  EXPECT_GT(ready[1].value("seq", int64_t{0}), shutdown_seq);
  EXPECT_EQ(node.stop(), 0);
}

TEST(node_config, unknown_key_in_config_file_is_rejected_naming_it) {
  heraldd_process node;
  auto config = node.write_file("herald.toml", "frobnicate-level = 3\n");
  node.options().extra_args = {"--config", config.string()};
  auto started = node.start();
  EXPECT_FALSE(started) << "heraldd started with an unknown config key";
  int status = node.wait_exit(10s);
  EXPECT_NE(status, heraldd_process::still_running)
      << "heraldd kept running with an unknown config key";
  EXPECT_NE(status, 0);
  EXPECT_THAT(node.output(), HasSubstr("frobnicate-level"))
      << "the error must name the unknown key";
}

TEST(node_config, config_file_sets_the_http_address) {
  heraldd_process node;
  auto port = free_port();
  ASSERT_NE(port, 0);
  auto config = node.write_file(
      "herald.toml", "http = \"127.0.0.1:" + std::to_string(port) + "\"\n");
  node.options().default_http = false;
  node.options().extra_args = {"--config", config.string()};
  ASSERT_TRUE(node.start());
  EXPECT_EQ(node.http_port(), port);
  http_client client(port);
  auto healthz = client.get("/healthz");
  EXPECT_EQ(healthz.status, 200) << healthz.describe();
  EXPECT_EQ(node.stop(), 0);
}

TEST(node_durability, acknowledged_events_survive_kill9_with_their_seq) {
  heraldd_process node;
  ASSERT_TRUE(node.start());
  auto client = node.http();
  std::map<std::string, int64_t> acked; // id -> seq
  constexpr int batches = 20;
  constexpr int per_batch = 50;
  for (int b = 0; b < batches; ++b) {
    json batch = json::array();
    for (int i = 0; i < per_batch; ++i) {
      auto e =
          make_event("durable.batch.item", {{"data", {{"b", b}, {"i", i}}}});
      if (i % 2 == 0) // half with client ids, half with node-assigned ids
        e["id"] = "durable-" + std::to_string(b) + "-" + std::to_string(i);
      batch.push_back(e);
    }
    auto reply = publish_ok(client, batch);
    ASSERT_TRUE(reply.contains("events")) << reply.dump();
    ASSERT_EQ(reply["events"].size(), static_cast<size_t>(per_batch));
    for (const auto& ack : reply["events"])
      acked[ack.at("id").get<std::string>()] = ack.at("seq").get<int64_t>();
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(batches * per_batch));
  int64_t max_acked = 0;
  for (const auto& [id, seq] : acked)
    max_acked = std::max(max_acked, seq);

  node.kill9();
  ASSERT_TRUE(node.restart());
  client = node.http();

  std::map<std::string, int64_t> stored;
  std::set<int64_t> seqs;
  int64_t max_stored = 0;
  for (const auto& e : query_all(client)) {
    stored[e.value("id", "")] = e.value("seq", int64_t{0});
    EXPECT_TRUE(seqs.insert(e.value("seq", int64_t{0})).second)
        << "seq stored twice: " << e.dump();
    max_stored = std::max(max_stored, e.value("seq", int64_t{0}));
  }
  size_t missing = 0, moved = 0;
  for (const auto& [id, seq] : acked) {
    auto it = stored.find(id);
    if (it == stored.end())
      ++missing;
    else if (it->second != seq)
      ++moved;
  }
  EXPECT_EQ(missing, 0u) << "acknowledged events lost by kill -9";
  EXPECT_EQ(moved, 0u) << "acknowledged events changed seq after kill -9";
  auto one = client.get(std::string(events_path) + "/" +
                        url_encode(acked.begin()->first));
  ASSERT_EQ(one.status, 200) << one.describe();
  EXPECT_EQ(one.json().value("seq", int64_t{0}), acked.begin()->second);

  auto next = publish_ok(client, make_event("durable.after.restart"));
  EXPECT_GT(next.value("seq", int64_t{0}), max_acked);
  EXPECT_GT(next.value("seq", int64_t{0}), max_stored)
      << "seq must continue after the highest stored seq";
}

} // namespace
} // namespace herald::test
