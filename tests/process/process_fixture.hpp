#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/heraldd_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ws_client.hpp"

#ifndef HERALD_SEEDS_DIR
#define HERALD_SEEDS_DIR "../shared/seeds"
#endif

/// Shared helpers of the process-level tests: a fixture that runs one fresh
/// node per test, and small clients of DESIGN §3/§7's API.
namespace herald::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr std::string_view events_path = "/api/v1/events";

#ifdef HERALDD_PATH
/// Points the harness at the heraldd this test target depends on.
inline const bool heraldd_path_registered = [] {
  heraldd_process::set_default_binary(HERALDD_PATH);
  return true;
}();
#endif

/// One fresh `heraldd` per test, started (and required ready) in SetUp.
/// Override `node_args()` for extra flags.
class process_test : public ::testing::Test {
protected:
  virtual std::vector<std::string> node_args() const { return {}; }

  void SetUp() override {
    node_ = std::make_unique<heraldd_process>(node_args());
    ASSERT_TRUE(node_->start());
    client_.emplace(node_->http());
  }

  heraldd_process& node() { return *node_; }
  /// A client of the node carrying its admin token.
  const http_client& http() const { return *client_; }
  /// WebSocket options carrying the node's admin token.
  ws_connect_options ws_options() const {
    ws_connect_options o;
    o.bearer = client_->bearer_token();
    return o;
  }

  /// A client of the node carrying `token` (none when empty).
  http_client as(const std::string& token) const {
    http_client c(node_->http_port());
    c.set_bearer_token(token);
    return c;
  }

  /// Creates a user through the API with the admin token (201 expected).
  void put_user(const std::string& name, const std::string& password,
                const json& roles, const json& groups = json::array()) {
    auto r = http().put_json(
        "/api/v1/users/" + name,
        {{"password", password}, {"groups", groups}, {"roles", roles}});
    EXPECT_EQ(r.status, 201) << "PUT user " << name << ": " << r.describe();
  }

  /// Creates a user with `roles` and `groups` through the admin token and
  /// logs it in: a client carrying its JWT. Records a failure (and the
  /// token stays empty) when either step fails.
  http_client login_as(const std::string& user, const json& roles,
                       const json& groups = json::array()) {
    const std::string password = "pw-" + user + "-secret";
    put_user(user, password, roles, groups);
    http_client anonymous = node().http();
    anonymous.set_bearer_token("");
    auto login = anonymous.post_json(
        "/api/v1/auth/login", {{"username", user}, {"password", password}});
    EXPECT_EQ(login.status, 200) << login.describe();
    auto body = login.json();
    http_client client = node().http();
    client.set_bearer_token(body.is_object() ? body.value("token", "") : "");
    EXPECT_FALSE(client.bearer_token().empty()) << login.describe();
    return client;
  }

  std::unique_ptr<heraldd_process> node_;
  std::optional<http_client> client_;
};

/// The `error` object of an error body, or null.
inline json api_error(const http_response& r) {
  auto body = r.json();
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    return body["error"];
  return json();
}

/// Checks `r` is DESIGN §7's error: `status` (0 = any 4xx), a `code` among
/// `codes`, a `message`, and `field` equal to `field` (unchecked when
/// `field` is nullopt).
inline ::testing::AssertionResult
is_api_error(const http_response& r, int status,
             std::initializer_list<std::string_view> codes,
             std::optional<std::string_view> field) {
  bool status_ok =
      status == 0 ? (r.status >= 400 && r.status < 500) : r.status == status;
  if (!status_ok)
    return ::testing::AssertionFailure()
           << "expected HTTP " << (status == 0 ? "4xx" : std::to_string(status))
           << ", got " << r.describe();
  auto err = api_error(r);
  if (!err.is_object() || !err.contains("code") || !err["code"].is_string() ||
      !err.contains("message") || !err["message"].is_string())
    return ::testing::AssertionFailure()
           << "body is not {\"error\":{\"code\",\"message\",...}}: "
           << r.describe();
  auto code = err["code"].get<std::string>();
  bool code_ok = false;
  std::string wanted;
  for (auto c : codes) {
    code_ok = code_ok || code == c;
    wanted += (wanted.empty() ? "" : "|") + std::string(c);
  }
  if (!code_ok)
    return ::testing::AssertionFailure()
           << "expected code " << wanted << ", got " << r.describe();
  if (field) {
    std::string got = err.contains("field") && err["field"].is_string()
                          ? err["field"].get<std::string>()
                          : "<absent>";
    if (got != *field)
      return ::testing::AssertionFailure()
             << "expected field \"" << *field << "\", got \"" << got
             << "\": " << r.describe();
  }
  return ::testing::AssertionSuccess();
}

/// Every seed-004 Event `path` answers for `client` with `params`,
/// following X-Next-Cursor. Records a failure for anything but 200 with a
/// bare array, or a page larger than the `limit` in `params`.
inline std::vector<json> query004_all(const http_client& client,
                                      const std::string& path,
                                      const header_list& params = {}) {
  size_t limit = 0;
  for (const auto& [k, v] : params)
    if (k == "limit")
      limit = std::stoul(v);
  std::vector<json> out;
  std::string after;
  for (int page = 0; page < 1000; ++page) {
    auto p = params;
    if (!after.empty())
      p.emplace_back("after", after);
    auto r = client.get(with_query(path, p));
    auto body = r.json();
    EXPECT_EQ(r.status, 200) << path << ": " << r.describe();
    EXPECT_TRUE(body.is_array()) << path << ": " << r.describe();
    if (r.status != 200 || !body.is_array())
      return out;
    if (limit > 0) {
      EXPECT_LE(body.size(), limit) << path;
    }
    for (auto& e : body)
      out.push_back(e);
    after = r.header("x-next-cursor");
    if (after.empty())
      return out;
  }
  ADD_FAILURE() << "more than 1000 pages";
  return out;
}

/// Every event `GET /api/v1/events` returns for `params`, following `next`
/// (limit 1000 per page unless `params` sets it), each page sent with
/// `headers`. On failure `error` says why and the events so far are
/// returned.
inline std::vector<json> query_all(const http_client& client,
                                   header_list params, std::string& error,
                                   const header_list& headers = {}) {
  std::vector<json> out;
  bool has_limit = false;
  for (const auto& p : params)
    has_limit = has_limit || p.first == "limit";
  if (!has_limit)
    params.emplace_back("limit", "1000");
  std::string after;
  for (int page = 0; page < 10000; ++page) {
    auto page_params = params;
    if (!after.empty())
      page_params.emplace_back("after", after);
    auto r = client.get(with_query(events_path, page_params), headers);
    auto body = r.json();
    if (r.status != 200 || !body.is_object() || !body.contains("events") ||
        !body["events"].is_array()) {
      error = "query page " + std::to_string(page) + ": " + r.describe();
      return out;
    }
    for (auto& e : body["events"])
      out.push_back(e);
    if (!body.contains("next"))
      return out;
    if (!body["next"].is_string() || body["next"].get<std::string>().empty()) {
      error = "\"next\" is not a non-empty string: " + body["next"].dump();
      return out;
    }
    after = body["next"].get<std::string>();
  }
  error = "more than 10000 pages";
  return out;
}

/// `query_all` that records a test failure on error.
inline std::vector<json> query_all(const http_client& client,
                                   header_list params = {},
                                   const header_list& headers = {}) {
  std::string error;
  auto out = query_all(client, std::move(params), error, headers);
  EXPECT_EQ(error, "");
  return out;
}

/// Values of `key` across `events`, in order (null where absent).
inline std::vector<json> pluck(const std::vector<json>& events,
                               const std::string& key) {
  std::vector<json> out;
  for (const auto& e : events)
    out.push_back(e.is_object() && e.contains(key) ? e[key] : json());
  return out;
}

/// Ids of all events not emitted by Herald itself (kind != "sys"), in seq
/// order: what a rejected publish must leave unchanged.
inline std::vector<std::string> user_event_ids(const http_client& client) {
  std::vector<std::string> out;
  for (const auto& e : query_all(client))
    if (e.value("kind", "") != "sys")
      out.push_back(e.value("id", "<no id>"));
  return out;
}

/// Highest seq in the trail (0 when empty or on error).
inline int64_t last_seq(const http_client& client) {
  auto r =
      client.get(with_query(events_path, {{"order", "desc"}, {"limit", "1"}}));
  auto body = r.json();
  if (r.status != 200 || !body.is_object() || !body.contains("events") ||
      body["events"].empty())
    return 0;
  return body["events"][0].value("seq", int64_t{0});
}

/// POSTs `body` to /api/v1/events and returns the parsed reply; records a
/// test failure (and returns null) when the node does not accept it.
inline json publish_ok(const http_client& client, const json& body,
                       const header_list& headers = {}) {
  auto r = client.post_json(events_path, body, headers);
  EXPECT_TRUE(r.ok()) << "publish of " << body.dump().substr(0, 300)
                      << " refused: " << r.describe();
  return r.ok() ? r.json() : json();
}

/// The single event `GET /api/v1/events?name=<name>` returns; records a
/// failure unless there is exactly one.
inline json only_event_named(const http_client& client,
                             const std::string& name) {
  auto events = query_all(client, {{"name", name}});
  EXPECT_EQ(events.size(), 1u)
      << "events named " << name << ": " << json(events).dump();
  return events.size() == 1 ? events[0] : json();
}

/// A minimal native event.
inline json make_event(const std::string& name, json extra = json::object()) {
  json e = {{"name", name}};
  for (auto& [k, v] : extra.items())
    e[k] = v;
  return e;
}

/// Text of the seed file `<HERALD_SEEDS_DIR>/<number>_*.txt` ("" if absent).
inline std::string seed_text(const std::string& number) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(HERALD_SEEDS_DIR, ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind(number + "_", 0) == 0 &&
        entry.path().extension() == ".txt") {
      std::ifstream in(entry.path());
      std::ostringstream text;
      text << in.rdbuf();
      return text.str();
    }
  }
  ADD_FAILURE() << "no seed " << number << "_*.txt in " << HERALD_SEEDS_DIR;
  return {};
}

/// The lines strictly between the line `begin` and the next line `end`.
inline std::string text_between(const std::string& text,
                                const std::string& begin,
                                const std::string& end) {
  std::istringstream in(text);
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line == begin;
    } else if (line == end) {
      return out;
    } else {
      out += line + "\n";
    }
  }
  ADD_FAILURE() << "no block between '" << begin << "' and '" << end << "'";
  return {};
}

/// Reads frames until `count` events arrived, the stream ended, or no frame
/// came for `idle`. Frames that are not JSON objects record a failure.
inline std::vector<json> read_events(ws_client& ws, size_t count,
                                     std::chrono::milliseconds idle = 5s) {
  std::vector<json> out;
  while (out.size() < count) {
    auto frame = ws.read_text(idle);
    if (!frame)
      break;
    auto event = json::parse(*frame, nullptr, false);
    EXPECT_TRUE(event.is_object())
        << "frame is not one JSON event: " << frame->substr(0, 300);
    out.push_back(std::move(event));
  }
  return out;
}

/// Seqs of `events` as integers (-1 where absent).
inline std::vector<int64_t> seqs_of(const std::vector<json>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events)
    out.push_back(e.is_object() ? e.value("seq", int64_t{-1}) : -1);
  return out;
}

} // namespace herald::test
