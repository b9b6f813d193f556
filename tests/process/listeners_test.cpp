// Listeners (DESIGN §4 "Listeners", §5 "Listener protocol") against a real
// heraldd: the connection, its events in the trail, one connection per id,
// parameters, roles, the listing, and how a connection ends.

#include <map>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view listeners_path = "/api/v1/listeners";

class listeners : public process_test {
protected:
  static std::string target(const std::string& id,
                            const header_list& params = {}) {
    return with_query(std::string{listeners_path} + "/" + id, params);
  }

  /// Connects listener `id`; records a failure when it is refused.
  std::unique_ptr<ws_client> connect(const std::string& id,
                                     const header_list& params = {}) {
    auto ws = std::make_unique<ws_client>();
    auto up = ws->connect(node().http_port(), target(id, params), ws_options());
    EXPECT_TRUE(up.upgraded) << up.describe();
    return ws;
  }

  /// The upgrade's answer for `target` with `token`.
  ws_upgrade try_connect(const std::string& to, const std::string& token) {
    ws_client ws;
    ws_connect_options o;
    o.bearer = token;
    return ws.connect(node().http_port(), to, o);
  }

  /// Waits (bounded) until the trail holds `n` events named `name`.
  std::vector<json> wait_events(const std::string& name, size_t n) {
    std::vector<json> events;
    wait_for(
        [&] {
          events = query_all(http(), {{"name", name}});
          return events.size() >= n;
        },
        10s);
    EXPECT_EQ(events.size(), n) << name << ": " << json(events).dump();
    return events;
  }

  json listed() {
    auto r = http().get(listeners_path);
    EXPECT_EQ(r.status, 200) << r.describe();
    auto body = r.json();
    EXPECT_TRUE(body.is_object() && body["listeners"].is_array())
        << r.describe();
    return body.is_object() ? body["listeners"] : json::array();
  }

  /// Expects the server to close `ws` with `code`; the close reason.
  std::string expect_closed(ws_client& ws, int code) {
    auto frame = ws.read_text(10s);
    EXPECT_FALSE(frame) << "unexpected frame: " << *frame;
    EXPECT_TRUE(ws.ended());
    auto close = ws.close_frame();
    EXPECT_TRUE(close) << ws.error();
    if (!close)
      return {};
    EXPECT_EQ(close->code, code) << close->reason;
    return close->reason;
  }
};

TEST_F(listeners, connect_stores_the_connected_event_and_lists_the_listener) {
  auto ws = connect("collector-1", {{"handles", "collect,cleanup"}});
  auto events = wait_events("message-listener-connected", 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["kind"], "sys");
  EXPECT_EQ(events[0]["source"], "herald");
  EXPECT_EQ(events[0]["data"], json({{"listener_id", "collector-1"},
                                     {"handles", {"cleanup", "collect"}},
                                     {"ip", "127.0.0.1"}}));

  auto list = listed();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["id"], "collector-1");
  EXPECT_EQ(list[0]["handles"], json({"cleanup", "collect"}));
  EXPECT_EQ(list[0]["ip"], "127.0.0.1");
  EXPECT_EQ(list[0]["pending"], 0);
  ASSERT_TRUE(list[0]["connected"].is_string());
  EXPECT_EQ(list[0]["connected"].get<std::string>().back(), 'Z');

  // No handles: connected and listed, handling nothing.
  auto idle = connect("idle");
  wait_events("message-listener-connected", 2);
  list = listed();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["id"], "idle");
  EXPECT_EQ(list[1]["handles"], json::array());
}

TEST_F(listeners, one_connection_per_id_until_the_first_closes) {
  auto first = connect("L1", {{"handles", "collect"}});
  wait_events("message-listener-connected", 1);
  ws_client second;
  auto refused = second.connect(node().http_port(), target("L1"), ws_options());
  ASSERT_FALSE(refused.upgraded);
  EXPECT_EQ(refused.status, 409) << refused.describe();
  auto body = json::parse(refused.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << refused.body;
  EXPECT_EQ(body["error"]["code"], "conflict");
  EXPECT_EQ(body["error"]["field"], "listener_id");

  first->close();
  auto gone = wait_events("message-listener-disconnected", 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["data"],
            json({{"listener_id", "L1"}, {"reason", "closed by listener"}}));
  auto again = connect("L1", {{"handles", "collect"}});
  wait_events("message-listener-connected", 2);
  EXPECT_EQ(listed().size(), 1u);
}

TEST_F(listeners, a_dropped_connection_is_a_disconnect) {
  {
    auto ws = connect("dropper");
    wait_events("message-listener-connected", 1);
  } // the client drops the socket without a close frame
  auto gone = wait_events("message-listener-disconnected", 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["data"]["listener_id"], "dropper");
  EXPECT_EQ(gone[0]["data"]["reason"], "connection lost");
  EXPECT_TRUE(wait_for([&] { return listed().empty(); }, 5s));
}

TEST_F(listeners, bad_parameters_are_400_before_the_upgrade) {
  const auto token = node().admin_token();
  struct bad {
    std::string target;
    std::string code;
    std::string field;
  };
  const std::vector<bad> cases = {
      {target(std::string(257, 'x')), "invalid_id", "listener_id"},
      {target("%01"), "invalid_id", "listener_id"},
      {target("L", {{"handles", "a,,b"}}), "invalid_parameter", "handles"},
      {target("L", {{"handles", "collect,"}}), "invalid_parameter", "handles"},
      {target("L", {{"handles", "a b"}}), "invalid_parameter", "handles"},
      {target("L", {{"handles", "a.*"}}), "invalid_parameter", "handles"},
      {target("L", {{"queue", "q"}}), "invalid_parameter", "queue"},
  };
  for (const auto& c : cases) {
    auto up = try_connect(c.target, token);
    EXPECT_FALSE(up.upgraded) << c.target;
    EXPECT_EQ(up.status, 400) << c.target << ": " << up.describe();
    auto body = json::parse(up.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << c.target << ": " << up.body;
    EXPECT_EQ(body["error"]["code"], c.code) << c.target;
    EXPECT_EQ(body["error"]["field"], c.field) << c.target;
    // Without the upgrade: the same 400.
    auto plain = http().get(c.target);
    EXPECT_TRUE(is_api_error(plain, 400, {c.code}, c.field)) << c.target;
  }
  auto plain = http().get(target("fine", {{"handles", "collect"}}));
  EXPECT_EQ(plain.status, 400) << "needs the upgrade: " << plain.describe();
  EXPECT_TRUE(
      query_all(http(), {{"name", "message-listener-connected"}}).empty());
}

TEST_F(listeners, roles_publisher_to_listen_reader_to_list) {
  auto reader = login_as("rita", json{"reader"});
  auto up = try_connect(target("L1", {{"handles", "collect"}}),
                        reader.bearer_token());
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 403) << up.describe();
  EXPECT_EQ(reader.get(listeners_path).status, 200);

  auto publisher = login_as("paul", json{"publisher"});
  ws_client ws;
  ws_connect_options o;
  o.bearer = publisher.bearer_token();
  auto ok = ws.connect(node().http_port(), target("L1"), o);
  EXPECT_TRUE(ok.upgraded) << ok.describe();
  auto r = publisher.get(listeners_path);
  EXPECT_TRUE(is_api_error(r, 403, {"forbidden"}, std::nullopt))
      << r.describe();

  auto anonymous = try_connect(target("L2"), "");
  EXPECT_EQ(anonymous.status, 401) << anonymous.describe();
}

TEST_F(listeners, listener_frames_are_checked) {
  auto ws = connect("L1", {{"handles", "collect"}});
  wait_events("message-listener-connected", 1);
  // Answers for actions it does not have are ignored; the connection stays.
  ASSERT_TRUE(ws->send_text(
      R"({"kind":"action_done","task_id":"t-none","step":"collect"})"));
  ASSERT_TRUE(ws->send_text(
      R"({"kind":"progress","task_id":"t-none","step":"collect","percent":5})"));
  EXPECT_FALSE(ws->read_text(300ms));
  EXPECT_FALSE(ws->ended()) << ws->error();
  EXPECT_TRUE(query_all(http(), {{"name", "progress"}}).empty());

  ASSERT_TRUE(ws->send_text("not json"));
  auto reason = expect_closed(*ws, 1007);
  EXPECT_NE(reason.find("invalid frame"), std::string::npos) << reason;
  auto gone = wait_events("message-listener-disconnected", 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["data"]["reason"], "invalid frame");
}

TEST_F(listeners, binary_and_oversized_messages_close_the_connection) {
  auto bin = connect("binary");
  ASSERT_TRUE(bin->send_text("\x01\x02", /*binary=*/true));
  expect_closed(*bin, 1003);

  auto big = connect("big");
  ASSERT_TRUE(big->send_text(std::string(70 * 1024, 'x')));
  expect_closed(*big, 1009);

  auto gone = wait_events("message-listener-disconnected", 2);
  std::map<std::string, std::string> reasons;
  for (const auto& e : gone)
    reasons[e["data"]["listener_id"]] = e["data"]["reason"];
  EXPECT_EQ(reasons["binary"], "binary message");
  EXPECT_EQ(reasons["big"], "message too big");
}

TEST_F(listeners, shutdown_closes_with_1001_and_stores_the_disconnect) {
  auto ws = connect("L1", {{"handles", "collect"}});
  wait_events("message-listener-connected", 1);
  EXPECT_EQ(node().stop(), 0);
  expect_closed(*ws, 1001);
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  auto gone = query_all(http(), {{"name", "message-listener-disconnected"}});
  ASSERT_EQ(gone.size(), 1u) << json(gone).dump();
  EXPECT_EQ(gone[0]["data"],
            json({{"listener_id", "L1"}, {"reason", "shutdown"}}));
}

} // namespace
} // namespace herald::test
