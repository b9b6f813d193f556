// GET /metrics (DESIGN §7, docs/API.md "Metrics"): the Prometheus page of a
// real node moves as the node works, and `promtool check metrics` accepts
// it (promtool comes with Debian's `prometheus` package, which
// scripts/install-deps.sh installs).

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view promtool = "/usr/bin/promtool";
constexpr std::string_view stream_path = "/api/v1/events/stream";

/// The samples of a text-format page: `name{labels}` (as written) → value.
std::map<std::string, double> parse_samples(const std::string& page) {
  std::map<std::string, double> out;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos)
      continue;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

/// The value of `key` on `page`; records a failure (and returns -1) when
/// the sample is missing.
double value_of(const std::map<std::string, double>& page,
                const std::string& key) {
  auto i = page.find(key);
  if (i == page.end()) {
    ADD_FAILURE() << "no sample " << key << " on the page";
    return -1;
  }
  return i->second;
}

/// Runs `promtool check metrics` on `page`: its exit status and output.
std::pair<int, std::string> promtool_check(const std::filesystem::path& dir,
                                           const std::string& page) {
  auto in = dir / "metrics.txt";
  auto out = dir / "promtool.out";
  std::ofstream(in) << page;
  auto cmd = std::string{promtool} + " check metrics < '" + in.string() +
             "' > '" + out.string() + "' 2>&1";
  int status = std::system(cmd.c_str());
  std::ifstream result(out);
  std::stringstream text;
  text << result.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

class metrics : public process_test {
protected:
  /// A tiny stream buffer so a stalled stream is cut after little traffic.
  std::vector<std::string> node_args() const override {
    return {"--stream-buffer-events", "16", "--stream-buffer-bytes", "4096"};
  }

  /// GET /metrics, checked for status and Content-Type, as samples.
  std::map<std::string, double> scrape(std::string* body = nullptr) {
    auto r = http().get("/metrics");
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.header("content-type"),
              "text/plain; version=0.0.4; charset=utf-8");
    if (body)
      *body = r.body;
    return parse_samples(r.body);
  }

  /// Polls /metrics until `key` equals `want` (bounded).
  bool wait_for_value(const std::string& key, double want) {
    return wait_for(
        [&] {
          auto page = parse_samples(http().get("/metrics").body);
          auto i = page.find(key);
          return i != page.end() && i->second == want;
        },
        10s);
  }
};

TEST_F(metrics, page_moves_with_the_node_and_passes_promtool) {
  auto before = scrape();
  const double accepted0 = value_of(before, "herald_events_accepted_total");
  const double batch_sum0 = value_of(before, "herald_write_batch_events_sum");
  const double appends0 = value_of(before, "herald_write_batch_events_count");
  const double queries0 =
      value_of(before, "herald_query_duration_seconds_count");
  EXPECT_EQ(
      before.count(R"(herald_events_rejected_total{reason="invalid_name"})"),
      0u);

  // 4 new events, 1 duplicate; 3 refused publishes.
  publish_ok(http(), json::array({make_event("m.a.one", {{"id", "m-1"}}),
                                  make_event("m.a.two"), make_event("m.a.3")}));
  publish_ok(http(), make_event("m.a.one", {{"id", "m-1"}}));
  auto last = publish_ok(http(), make_event("m.b")).value("seq", int64_t{0});
  EXPECT_TRUE(is_api_error(http().post_json(events_path, make_event("m..bad")),
                           400, {"invalid_name"}, "/name"));
  EXPECT_TRUE(is_api_error(
      http().post_json(events_path, json::array({make_event("ok"),
                                                 make_event("bad..name")})),
      400, {"invalid_name"}, "/1/name"));
  EXPECT_TRUE(is_api_error(http().post(events_path, "{not json"), 400,
                           {"invalid_json"}, std::nullopt));

  // A stream opens, gets one event, closes.
  {
    ws_client ws;
    auto from = std::to_string(last + 1);
    auto up = ws.connect(
        node().http_port(),
        with_query(stream_path, {{"name", "m.live"}, {"from_seq", from}}),
        ws_options());
    ASSERT_TRUE(up.upgraded) << up.describe();
    ASSERT_TRUE(wait_for_value("herald_streams_open", 1));
    publish_ok(http(), make_event("m.live"));
    ASSERT_EQ(read_events(ws, 1).size(), 1u) << ws.error();
    ws.close();
  }
  ASSERT_TRUE(wait_for_value("herald_streams_open", 0));

  // Two queries, one refused before it reaches the readers (not timed).
  EXPECT_EQ(http().get(with_query(events_path, {{"limit", "2"}})).status, 200);
  EXPECT_EQ(http().get(with_query(events_path, {{"name", "m.>"}})).status, 200);
  EXPECT_EQ(http().get(with_query(events_path, {{"limit", "x"}})).status, 400);

  std::string body;
  auto after = scrape(&body);
  const double accepted = 6; // 4 + duplicate + the streamed one
  EXPECT_EQ(value_of(after, "herald_events_accepted_total") - accepted0,
            accepted);
  EXPECT_EQ(value_of(after, "herald_events_duplicate_total"), 1);
  EXPECT_EQ(
      value_of(after, R"(herald_events_rejected_total{reason="invalid_name"})"),
      2);
  EXPECT_EQ(
      value_of(after, R"(herald_events_rejected_total{reason="invalid_json"})"),
      1);
  EXPECT_EQ(value_of(after, "herald_query_duration_seconds_count") - queries0,
            2);
  EXPECT_EQ(
      value_of(after, R"(herald_query_duration_seconds_bucket{le="+Inf"})"),
      value_of(after, "herald_query_duration_seconds_count"));
  // Every accepted event went through exactly one successful group commit.
  EXPECT_EQ(value_of(after, "herald_write_batch_events_sum") - batch_sum0,
            accepted);
  auto appends = value_of(after, "herald_write_batch_events_count") - appends0;
  EXPECT_GE(appends, 1);
  EXPECT_LE(appends, 4);
  EXPECT_EQ(value_of(after, "herald_write_seconds_count"),
            value_of(after, "herald_write_batch_events_count"));
  EXPECT_EQ(value_of(after, "herald_write_failures_total"), 0);
  EXPECT_EQ(value_of(after, "herald_writer_queued_events"), 0);
  EXPECT_EQ(value_of(after, "herald_last_seq"),
            static_cast<double>(last_seq(http())));
  EXPECT_GT(value_of(after, "herald_store_size_bytes"), 0);
  EXPECT_EQ(value_of(after, "herald_streams_open"), 0);
  EXPECT_EQ(value_of(after, "herald_stream_buffer_events"), 0);
  EXPECT_EQ(value_of(after, "herald_stream_slow_consumer_cuts_total"), 0);
  EXPECT_GT(value_of(after, "process_resident_memory_bytes"), 1 << 20);
  auto now = std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto started = value_of(after, "process_start_time_seconds");
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 600);

  auto [status, output] = promtool_check(node().work_dir(), body);
  EXPECT_EQ(status, 0) << promtool << " check metrics says:\n"
                       << output << "\non the page:\n"
                       << body;
  EXPECT_EQ(output, "") << body;
}

TEST_F(metrics, promtool_rejects_a_bad_page) {
  // The check above can fail: promtool flags a counter without `_total`.
  auto [status, output] =
      promtool_check(node().work_dir(), "# HELP x_count X.\n# TYPE x_count "
                                        "counter\nx_count 1\n");
  EXPECT_NE(status, 0) << output;
  EXPECT_NE(output.find("_total"), std::string::npos) << output;
}

TEST_F(metrics, slow_consumer_cut_is_counted) {
  ws_client ws;
  auto options = ws_options();
  options.receive_buffer = 4096;
  auto up = ws.connect(node().http_port(), std::string{stream_path}, options);
  ASSERT_TRUE(up.upgraded) << up.describe();
  ASSERT_TRUE(wait_for_value("herald_streams_open", 1));
  // Publish until the stalled stream is cut: its 16-frame buffer fills once
  // the socket buffers (a few MiB on loopback) do. Bounded: 100 x 0.2 MB.
  json batch = json::array();
  for (int i = 0; i < 200; ++i)
    batch.push_back(make_event("m.load", {{"data", std::string(1000, 'x')}}));
  auto body = batch.dump();
  bool cut = false;
  for (int b = 0; b < 100 && !cut; ++b) {
    ASSERT_TRUE(http().post(events_path, body).ok());
    auto page = scrape();
    cut = value_of(page, "herald_stream_slow_consumer_cuts_total") == 1;
    EXPECT_LE(value_of(page, "herald_stream_buffer_max_events"), 16);
  }
  ASSERT_TRUE(cut) << "no slow-consumer cut after 100 batches";
  ASSERT_TRUE(wait_for_value("herald_streams_open", 0));
  auto page = scrape();
  EXPECT_EQ(value_of(page, "herald_stream_buffer_events"), 0);
  EXPECT_EQ(value_of(page, "herald_stream_buffer_max_events"), 0);
}

} // namespace
} // namespace herald::test
