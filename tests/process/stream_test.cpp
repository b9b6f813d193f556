// WebSocket streams (DESIGN §4 "Streams", §7 "Streams"): replay from the
// trail then live without a gap or a duplicate, name filters, live-only.

#include <set>

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view stream_path = "/api/v1/events/stream";

class stream : public process_test {
protected:
  /// Opens a stream; records a failure when the upgrade is refused.
  std::unique_ptr<ws_client> open(const header_list& params) {
    auto ws = std::make_unique<ws_client>();
    ws_connect_options options;
    options.bearer = node().admin_token();
    auto up = ws->connect(node().http_port(), with_query(stream_path, params),
                          options);
    EXPECT_TRUE(up.upgraded) << up.describe();
    return ws;
  }

  /// Publishes `n` events named `name` as one batch; their ids.
  std::vector<std::string> publish_batch(const std::string& name, int n,
                                         const std::string& id_prefix) {
    json batch = json::array();
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(id_prefix + std::to_string(i));
      batch.push_back(make_event(name, {{"id", ids.back()}, {"data", i}}));
    }
    publish_ok(http(), batch);
    return ids;
  }
};

/// Asserts that nothing more arrives within `quiet`.
void expect_no_more(ws_client& ws, std::chrono::milliseconds quiet = 300ms) {
  auto extra = ws.read_text(quiet);
  EXPECT_FALSE(extra.has_value()) << "unexpected frame: " << *extra;
}

TEST_F(stream, replays_from_seq_1_then_continues_live) {
  publish_batch("stream.before.n", 5, "before-");
  auto trail = query_all(http());
  ASSERT_GE(trail.size(), 6u) << "server.ready + 5 published";

  auto ws = open({{"from_seq", "1"}});
  auto replayed = read_events(*ws, trail.size());
  ASSERT_EQ(replayed.size(), trail.size()) << ws->error();
  EXPECT_EQ(seqs_of(replayed), seqs_of(trail));
  EXPECT_EQ(pluck(replayed, "id"), pluck(trail, "id"));
  EXPECT_EQ(replayed.front().value("seq", int64_t{0}), 1) << "seq starts at 1";
  EXPECT_THAT(pluck(replayed, "name"),
              ::testing::Contains(json("server.ready")));
  EXPECT_EQ(replayed.back().value("data", json()), json(4))
      << "frames carry the native event";

  auto live_ids = publish_batch("stream.live.n", 3, "live-");
  publish_ok(http(), make_event("stream.live.single", {{"id", "live-x"}}));
  live_ids.push_back("live-x");
  auto trail_after = query_all(http());
  auto live = read_events(*ws, trail_after.size() - trail.size());
  auto all = replayed;
  all.insert(all.end(), live.begin(), live.end());
  EXPECT_EQ(seqs_of(all), seqs_of(trail_after))
      << "every event exactly once, in seq order, no gap";
  std::vector<json> expected_live(live_ids.begin(), live_ids.end());
  std::vector<json> got_live;
  for (const auto& e : live)
    if (e.value("kind", "") != "sys")
      got_live.push_back(e.value("id", json()));
  EXPECT_EQ(got_live, expected_live);
  expect_no_more(*ws);
}

TEST_F(stream, from_seq_is_inclusive) {
  publish_batch("stream.mid.n", 6, "mid-");
  auto trail = query_all(http(), {{"name", "stream.mid.n"}});
  ASSERT_EQ(trail.size(), 6u);
  auto from = trail[2].value("seq", int64_t{0});
  auto ws = open({{"from_seq", std::to_string(from)}});
  auto frames = read_events(*ws, 4);
  ASSERT_EQ(frames.size(), 4u) << ws->error();
  EXPECT_EQ(frames[0].value("seq", int64_t{0}), from);
  EXPECT_EQ(pluck(frames, "id"),
            (std::vector<json>{"mid-2", "mid-3", "mid-4", "mid-5"}));
}

TEST_F(stream, replay_and_live_meet_without_gap_or_duplicate) {
  // Enough history that the replay is still running while more is published.
  for (int b = 0; b < 3; ++b)
    publish_batch("stream.seam.old", 1000, "old-" + std::to_string(b) + "-");
  auto ws = open({{"from_seq", "1"}, {"name", "stream.seam.>"}});
  for (int b = 0; b < 3; ++b)
    publish_batch("stream.seam.new", 200, "new-" + std::to_string(b) + "-");
  auto frames = read_events(*ws, 3600);
  ASSERT_EQ(frames.size(), 3600u) << ws->error();
  auto trail = query_all(http(), {{"name", "stream.seam.>"}});
  EXPECT_EQ(seqs_of(frames), seqs_of(trail));
  std::set<json> unique_ids;
  for (const auto& e : frames)
    unique_ids.insert(e.value("id", json()));
  EXPECT_EQ(unique_ids.size(), 3600u) << "duplicates at the seam";
  expect_no_more(*ws);
}

TEST_F(stream, name_filter_sends_only_matching_events) {
  publish_ok(
      http(),
      json::array({make_event("orders.order.created", {{"id", "f1"}}),
                   make_event("orders.order.paid", {{"id", "f2"}}),
                   make_event("orders.refund.created", {{"id", "f3"}})}));
  auto ws = open({{"from_seq", "1"}, {"name", "orders.*.created"}});
  auto replayed = read_events(*ws, 2);
  EXPECT_EQ(pluck(replayed, "id"), (std::vector<json>{"f1", "f3"}));
  publish_ok(http(),
             json::array({make_event("orders.order.created", {{"id", "f4"}}),
                          make_event("inventory.item.created", {{"id", "f5"}}),
                          make_event("orders.order.paid", {{"id", "f6"}}),
                          make_event("orders.x.created", {{"id", "f7"}})}));
  auto live = read_events(*ws, 2);
  EXPECT_EQ(pluck(live, "id"), (std::vector<json>{"f4", "f7"}));
  expect_no_more(*ws);
}

TEST_F(stream, content_filter_on_a_stream) {
  auto ws = open({{"filter", R"({"tenant":["acme"]})"}});
  publish_ok(
      http(),
      json::array({make_event("t.a", {{"id", "c1"}, {"tenant", "acme"}}),
                   make_event("t.a", {{"id", "c2"}, {"tenant", "globex"}}),
                   make_event("t.a", {{"id", "c3"}, {"tenant", "acme"}})}));
  auto frames = read_events(*ws, 2);
  EXPECT_EQ(pluck(frames, "id"), (std::vector<json>{"c1", "c3"}));
  expect_no_more(*ws);
}

TEST_F(stream, live_only_stream_gets_only_new_events) {
  publish_batch("stream.old.n", 5, "old-");
  auto before = last_seq(http());
  ASSERT_GT(before, 0);
  auto ws = open({});
  // The upgrade's 101 is the subscription's acknowledgement: what is
  // published after it is delivered.
  auto ids = publish_batch("stream.new.n", 4, "new-");
  publish_ok(http(), make_event("stream.new.n", {{"id", "new-x"}}));
  ids.push_back("new-x");
  auto expected = query_all(http());
  std::vector<json> expected_new;
  for (const auto& e : expected)
    if (e.value("seq", int64_t{0}) > before)
      expected_new.push_back(e);
  auto frames = read_events(*ws, expected_new.size());
  EXPECT_EQ(seqs_of(frames), seqs_of(expected_new));
  for (const auto& e : frames)
    EXPECT_GT(e.value("seq", int64_t{0}), before) << "old event replayed";
  std::vector<json> user_ids;
  for (const auto& e : frames)
    if (e.value("kind", "") != "sys")
      user_ids.push_back(e.value("id", json()));
  EXPECT_EQ(user_ids, std::vector<json>(ids.begin(), ids.end()));
  expect_no_more(*ws);
}

TEST_F(stream, cloudevents_format_on_a_stream) {
  auto ws = open({{"format", "cloudevents"}, {"name", "ce.stream.>"}});
  publish_ok(http(), make_event("ce.stream.one",
                                {{"id", "cs1"}, {"data", {{"a", 1}}}}));
  auto frames = read_events(*ws, 1);
  ASSERT_EQ(frames.size(), 1u) << ws->error();
  EXPECT_EQ(frames[0].value("specversion", ""), "1.0");
  EXPECT_EQ(frames[0].value("type", ""), "ce.stream.one");
  EXPECT_EQ(frames[0].value("id", ""), "cs1");
  EXPECT_TRUE(frames[0].contains("heraldseq")) << frames[0].dump();
}

} // namespace
} // namespace herald::test
