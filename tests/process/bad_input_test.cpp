// Bad publishes (DESIGN §2 "Bad input", §7 "Errors", "Fields"): one test per
// class of bad input; each checks the 4xx error body with its code and
// field, and that the store is unchanged.

#include <poll.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

/// A node with one stored user event; `rejects` publishes a bad body and
/// checks the error and that the set of stored user events is unchanged.
class bad_publish : public process_test {
protected:
  void SetUp() override {
    process_test::SetUp();
    if (HasFatalFailure())
      return;
    publish_ok(http(), make_event("baseline.event.stored", {{"id", "base-1"}}));
    before_ = user_event_ids(http());
    ASSERT_EQ(before_.size(), 1u);
  }

  ::testing::AssertionResult
  rejects_text(const std::string& body, int status,
               std::initializer_list<std::string_view> codes,
               std::optional<std::string_view> field,
               const header_list& headers = {}) {
    auto r = http().post(events_path, body, headers);
    auto verdict = is_api_error(r, status, codes, field);
    if (!verdict) {
      before_ = user_event_ids(http()); // judge the next body on its own
      return verdict << "\n  body sent: " << body.substr(0, 200);
    }
    auto after = user_event_ids(http());
    if (after != before_) {
      std::swap(before_, after); // judge the next body on its own
      return ::testing::AssertionFailure()
             << "a rejected publish changed the store: " << json(before_).dump()
             << " (was " << json(after).dump() << ")"
             << "\n  body sent: " << body.substr(0, 200);
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult
  rejects(const json& body, int status,
          std::initializer_list<std::string_view> codes,
          std::optional<std::string_view> field) {
    return rejects_text(body.dump(), status, codes, field);
  }

  std::vector<std::string> before_;
};

TEST_F(bad_publish, malformed_json_is_invalid_json) {
  EXPECT_TRUE(
      rejects_text(R"({"name": "a.b",)", 400, {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(rejects_text(R"([{"name": "a.b"}, )", 400, {"invalid_json"},
                           std::nullopt));
  EXPECT_TRUE(rejects_text("name=a.b", 400, {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(rejects_text("", 400, {"invalid_json"}, std::nullopt));
}

TEST_F(bad_publish, wrong_field_types_are_invalid_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"tenant", 5}}), 400,
                      {"invalid_field"}, "/tenant"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"allowed_groups", "g"}}), 400,
                      {"invalid_field"}, "/allowed_groups"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"user", json::array()}}), 400,
                      {"invalid_field"}, "/user"));
  EXPECT_TRUE(rejects(json({{"name", 42}}), 400,
                      {"invalid_name", "invalid_field"}, "/name"));
}

TEST_F(bad_publish, missing_name_is_invalid_name) {
  EXPECT_TRUE(rejects(json({{"source", "x"}, {"data", {{"a", 1}}}}), 400,
                      {"invalid_name"}, "/name"));
  EXPECT_TRUE(rejects(json::array({make_event("ok.one"), {{"source", "x"}}}),
                      400, {"invalid_name"}, "/1/name"));
}

TEST_F(bad_publish, invalid_name_is_invalid_name) {
  for (std::string name :
       {"", "a..b", "a b", "a.b.", ".a", "a.*", "a.>", "caf\xc3\xa9.x", "a/b"})
    EXPECT_TRUE(rejects(make_event(name), 400, {"invalid_name"}, "/name"))
        << "name \"" << name << "\"";
}

TEST_F(bad_publish, invalid_name_in_a_batch_points_at_the_event) {
  EXPECT_TRUE(
      rejects(json::array({make_event("good.one"), make_event("bad name")}),
              400, {"invalid_name"}, "/1/name"));
}

TEST_F(bad_publish, kind_sys_from_a_client_is_forbidden_field) {
  EXPECT_TRUE(rejects(make_event("server.ready", {{"kind", "sys"}}), 400,
                      {"forbidden_field"}, "/kind"));
}

TEST_F(bad_publish, origin_from_a_client_is_forbidden_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"origin", {{"trigger_id", "t"}}}}),
                      400, {"forbidden_field"}, "/origin"));
}

TEST_F(bad_publish, unknown_top_level_field_is_unknown_field) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"colour", "red"}}), 400,
                      {"unknown_field"}, "/colour"));
}

TEST_F(bad_publish, bad_scope_is_invalid_scope) {
  for (std::string scope :
       {"inventory//x", "/inventory", "inventory/", "a b", "", "a/b?c"})
    EXPECT_TRUE(rejects(make_event("a.b", {{"scope", scope}}), 400,
                        {"invalid_scope"}, "/scope"))
        << "scope \"" << scope << "\"";
}

TEST_F(bad_publish, bad_time_is_invalid_time) {
  for (std::string time : {"yesterday", "2026-13-01T00:00:00Z",
                           "2026-11-22T10:00:00", "2026-11-22T25:00:00Z",
                           "2026-11-22T10:00:00.1234567890Z", "1700000000"})
    EXPECT_TRUE(rejects(make_event("a.b", {{"time", time}}), 400,
                        {"invalid_time"}, "/time"))
        << "time \"" << time << "\"";
}

TEST_F(bad_publish, bad_id_is_invalid_id) {
  EXPECT_TRUE(
      rejects(make_event("a.b", {{"id", ""}}), 400, {"invalid_id"}, "/id"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"id", std::string(257, 'x')}}), 400,
                      {"invalid_id"}, "/id"));
  EXPECT_TRUE(rejects(make_event("a.b", {{"id", "tab\there"}}), 400,
                      {"invalid_id"}, "/id"));
}

TEST_F(bad_publish, body_over_1_mib_is_413_too_large) {
  auto event =
      make_event("big.event", {{"data", std::string(1100 * 1024, 'x')}});
  EXPECT_TRUE(rejects(event, 413, {"too_large"}, std::nullopt));
  // Just under the limit is fine.
  publish_ok(http(), make_event("big.event.ok",
                                {{"data", std::string(1000 * 1024, 'x')}}));
}

TEST_F(bad_publish, batch_with_one_bad_event_stores_none) {
  json batch = json::array({make_event("good.one", {{"id", "g1"}}),
                            make_event("good.two", {{"id", "g2"}}),
                            make_event("bad.time", {{"time", "noon"}})});
  EXPECT_TRUE(rejects(batch, 400, {"invalid_time"}, "/2/time"));
  auto r = http().get(std::string(events_path) + "/g1");
  EXPECT_EQ(r.status, 404) << r.describe();
}

class bad_publish_small_body : public bad_publish {
protected:
  std::vector<std::string> node_args() const override {
    return {"--max-body", "4096"};
  }
};

TEST_F(bad_publish_small_body, max_body_flag_sets_the_limit) {
  EXPECT_TRUE(rejects(make_event("a.b", {{"data", std::string(8192, 'x')}}),
                      413, {"too_large"}, std::nullopt));
  publish_ok(http(), make_event("a.b", {{"data", std::string(2048, 'x')}}));
}

class bad_publish_small_batch : public bad_publish {
protected:
  std::vector<std::string> node_args() const override {
    return {"--max-batch", "5"};
  }
};

TEST_F(bad_publish_small_batch, batch_over_max_batch_is_too_large) {
  json batch = json::array();
  for (int i = 0; i < 6; ++i)
    batch.push_back(
        make_event("batch.item", {{"id", "m" + std::to_string(i)}}));
  EXPECT_TRUE(rejects(batch, 0, {"too_large"}, std::nullopt));
  batch.erase(batch.begin());
  auto reply = publish_ok(http(), batch);
  EXPECT_EQ(reply.value("events", json::array()).size(), 5u);
}

// Bad bytes at the HTTP layer (docs/SECURITY.md "Bad input"): whatever a
// client sends, it gets a 4xx with DESIGN §7's error body (valid UTF-8 JSON,
// bytes that are not UTF-8 replaced) or, when it is not HTTP at all, a
// closed connection; the node keeps answering.

/// Sends `bytes` on a fresh connection, half-closes, and reads until the
/// node closes (bounded by 10 s). The first response found is parsed (status
/// 0 when none arrived).
http_response raw_exchange(uint16_t port, const std::string& bytes) {
  http_response out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    out.error = "connect failed";
    if (fd >= 0)
      ::close(fd);
    return out;
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break; // the node may answer and close before reading everything
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0)
      continue;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto head_end = in.find("\r\n\r\n");
  if (!in.starts_with("HTTP/1.") || head_end == std::string::npos) {
    out.error = "no response (" + std::to_string(in.size()) + " bytes)";
    return out;
  }
  out.status = std::atoi(in.c_str() + 9);
  size_t body_len = in.size() - head_end - 4;
  size_t at = in.find("\r\n") + 2;
  while (at < head_end) {
    auto eol = in.find("\r\n", at);
    auto line = in.substr(at, eol - at);
    at = eol + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    if (name == "content-length")
      body_len = std::min(body_len, std::stoul(value));
    out.headers[name] = value;
  }
  out.body = in.substr(head_end + 4, body_len);
  return out;
}

using namespace std::string_literals; // literals with NUL bytes in them

class bad_request : public process_test {
protected:
  /// `request` with the admin token's Authorization header after the
  /// request line (unless it already has one).
  std::string authorized(std::string request) const {
    auto eol = request.find("\r\n");
    if (request.find("Authorization:") == std::string::npos &&
        eol != std::string::npos)
      request.insert(eol + 2,
                     "Authorization: Bearer " + node_->admin_token() + "\r\n");
    return request;
  }

  http_response send(const std::string& bytes) {
    return raw_exchange(node_->http_port(), bytes);
  }

  /// `bytes` gets a 4xx error body with one of `codes` and `field`
  /// (unchecked when nullopt: a whole body or path has none), and the node
  /// still answers /healthz.
  ::testing::AssertionResult
  refused(const std::string& bytes,
          std::initializer_list<std::string_view> codes,
          std::optional<std::string_view> field) {
    auto r = send(bytes);
    auto verdict = is_api_error(r, 0, codes, field);
    if (auto alive = still_serving(); !alive)
      return alive;
    return verdict;
  }

  ::testing::AssertionResult still_serving() {
    if (!node_->running())
      return ::testing::AssertionFailure()
             << "the node exited (status " << node_->exit_status().value_or(-1)
             << ")";
    auto health = http().get("/healthz");
    if (health.status != 200)
      return ::testing::AssertionFailure()
             << "/healthz after the request: " << health.describe();
    return ::testing::AssertionSuccess();
  }
};

TEST_F(bad_request, a_query_name_that_is_not_utf8_given_twice) {
  // This request used to terminate the node: the error body carried the
  // decoded 0xFF byte and its serialisation threw.
  EXPECT_TRUE(refused("GET /healthz?%FF=1&%FF=2 HTTP/1.1\r\nHost: x\r\n\r\n",
                      {"invalid_parameter"}, "\xEF\xBF\xBD"));
  EXPECT_TRUE(refused(
      authorized("GET /api/v1/events?%FF%FE=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
      {"invalid_parameter"}, std::nullopt));
}

TEST_F(bad_request, path_bytes_that_are_not_utf8_or_nul) {
  EXPECT_TRUE(refused(authorized("GET /api/v1/\xff\xfe HTTP/1.1\r\nHost: "
                                 "x\r\n\r\n"),
                      {"not_found", "invalid_parameter"}, std::nullopt));
  EXPECT_TRUE(refused(
      authorized("GET /api/v1/events/%FF%00 HTTP/1.1\r\nHost: x\r\n\r\n"),
      {"not_found"}, "id"));
  EXPECT_TRUE(refused("GET /api/\x00v1 HTTP/1.1\r\nHost: x\r\n\r\n"s,
                      {"invalid_parameter"}, "target"));
}

TEST_F(bad_request, query_values_that_are_not_utf8_or_nul) {
  EXPECT_TRUE(refused(authorized("GET /api/v1/events?name=%C3%28 "
                                 "HTTP/1.1\r\nHost: x\r\n\r\n"),
                      {"invalid_pattern", "invalid_name"}, "name"));
  EXPECT_TRUE(refused(authorized("GET /api/v1/events?scope=a%00b "
                                 "HTTP/1.1\r\nHost: x\r\n\r\n"),
                      {"invalid_scope", "invalid_parameter"}, "scope"));
  // A filter whose JSON is not UTF-8: the parser's message quotes the bytes.
  EXPECT_TRUE(refused(
      authorized(
          "GET /api/v1/events?filter=%7B%22data.a%22%3A%5B%22%FF%22%5D%7D "
          "HTTP/1.1\r\nHost: x\r\n\r\n"),
      {"invalid_filter", "invalid_json"}, "filter"));
}

TEST_F(bad_request, header_values_that_are_not_utf8_or_nul) {
  EXPECT_TRUE(refused("GET /api/v1/events HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer \xff\xfe\r\n\r\n",
                      {"unauthorized"}, std::nullopt));
  EXPECT_TRUE(refused(authorized("PUT /api/v1/config/k HTTP/1.1\r\nHost: x\r\n"
                                 "If-Match: \"\xff\"\r\nContent-Length: "
                                 "11\r\n\r\n{\"value\":1}"),
                      {"invalid_parameter"}, "If-Match"));
  EXPECT_TRUE(
      refused("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"s,
              {"invalid_parameter"}, "headers"));
}

TEST_F(bad_request, json_strings_that_are_not_utf8_or_lone_surrogates) {
  auto publish = [&](const std::string& body) {
    return authorized("POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  EXPECT_TRUE(refused(publish(R"({"name":"a.b","data":")"
                              "\xff\xfe"
                              R"("})"),
                      {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(refused(publish(R"({"name":"a.b","data":"\ud800"})"),
                      {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(refused(publish(R"({"name":"a.b","data":"\udc00x"})"),
                      {"invalid_json"}, std::nullopt));
  EXPECT_TRUE(refused(publish(R"({"name":"a.b","\u0000":1})"),
                      {"unknown_field"}, std::nullopt));
  // Absurd depth and huge numbers.
  EXPECT_TRUE(
      refused(publish(R"({"name":"a.b","data":)" + std::string(100000, '[') +
                      std::string(100000, ']') + "}"),
              {"invalid_json", "invalid_field"}, std::nullopt));
  EXPECT_TRUE(refused(publish(R"({"name":"a.b","data":1e99999})"),
                      {"invalid_json", "invalid_field"}, std::nullopt));
}

TEST_F(bad_request, bad_content_length_or_chunking) {
  const std::string post = "POST /api/v1/events HTTP/1.1\r\nHost: x\r\n";
  EXPECT_TRUE(refused(post + "Content-Length: abc\r\n\r\n{}",
                      {"invalid_parameter"}, "Content-Length"));
  EXPECT_TRUE(refused(post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
                      {"invalid_parameter"}, "Content-Length"));
  EXPECT_TRUE(
      refused(post + "Content-Length: 99999999999999999999999\r\n\r\n{}",
              {"invalid_parameter", "too_large"}, std::nullopt));
  EXPECT_TRUE(
      refused(post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
              {"invalid_parameter"}, "Transfer-Encoding"));
  EXPECT_TRUE(refused(post + "Transfer-Encoding: chunked\r\n\r\n"
                             "ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                      {"invalid_parameter", "too_large"}, std::nullopt));
}

TEST_F(bad_request, websocket_upgrade_with_a_bad_key_or_version) {
  const std::string upgrade =
      "GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n"
      "Connection: Upgrade\r\nUpgrade: websocket\r\n";
  EXPECT_TRUE(refused(authorized(upgrade + "Sec-WebSocket-Version: 13\r\n"
                                           "Sec-WebSocket-Key: short\r\n\r\n"),
                      {"invalid_parameter"}, "Sec-WebSocket-Key"));
  EXPECT_TRUE(refused(authorized(upgrade + "Sec-WebSocket-Version: 13\r\n\r\n"),
                      {"invalid_parameter"}, "Sec-WebSocket-Key"));
  EXPECT_TRUE(
      refused(authorized(upgrade +
                         "Sec-WebSocket-Version: 12\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
              {"invalid_parameter"}, "Sec-WebSocket-Version"));
}

TEST_F(bad_request, websocket_upgrade_without_host) {
  // Found by the node fuzz target: Beast's own refusal had a text body.
  EXPECT_TRUE(
      refused(authorized("GET /api/v1/events/stream HTTP/1.1\r\n"
                         "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                         "Sec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
              {"invalid_parameter"}, "Host"));
}

TEST_F(bad_request, bytes_that_are_not_http_close_the_connection) {
  for (std::string junk :
       {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s,
        std::string{"GARBAGE\r\n\r\n"}, std::string(64, '\0')}) {
    auto r = send(junk);
    if (r.status != 0) {
      EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, std::nullopt));
    }
    EXPECT_TRUE(still_serving());
  }
}

} // namespace
} // namespace herald::test
