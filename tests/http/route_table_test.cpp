// The route table's order of answers (DESIGN §7): 400 for a target that
// does not parse, 401 before anything about the API is looked at (an
// unknown path too), then 404 / 405 / 403, then the handler — and the same
// for WebSocket upgrades, whose credential may be access_token=.

#include "tools/http/route_table.hpp"

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace herald::http {
namespace {

namespace bhttp = boost::beast::http;
using verb = bhttp::verb;

/// Who the test's authenticator knows: token "t-<name>" is <name>.
struct caller {
  std::string name;
  std::vector<std::string> roles;
};

class route_table_test : public ::testing::Test {
protected:
  route_table_test()
      : table_(
            [this](const std::string& credential) -> caf::expected<caller> {
              credentials_seen.push_back(credential);
              for (const auto& c : known)
                if (credential == "t-" + c.name)
                  return c;
              return runtime::make_api_error(runtime::errc::unauthorized,
                                             "who is that?");
            },
            [](const caller& c, std::string_view role) {
              return std::find(c.roles.begin(), c.roles.end(), role) !=
                     c.roles.end();
            }) {}

  /// The handler of a route: records the call and answers 200 with `tag`.
  route_table<caller>::handler_fn answer(std::string tag) {
    return
        [this, tag](request_context& ctx, const caller* who, reply_fn reply) {
          calls.push_back(tag);
          who_called.push_back(who ? who->name : "<public>");
          last_path = ctx.path;
          last_params = ctx.params;
          last_query = ctx.query;
          reply(json_response(200, nlohmann::json{{"route", tag}}.dump()));
        };
  }

  http_response send(verb method, std::string target,
                     std::optional<std::string> token = std::nullopt) {
    http_request req{method, target, 11};
    if (token)
      req.set(bhttp::field::authorization, "Bearer " + *token);
    std::optional<http_response> out;
    table_.dispatch(std::move(req), "127.0.0.1",
                    [&out](http_response res) { out = std::move(res); });
    EXPECT_TRUE(out) << "no reply";
    return out ? std::move(*out) : http_response{};
  }

  /// A WebSocket upgrade: the refusal if there is one, else nullopt (the
  /// handler took the connection).
  std::optional<http_response> upgrade(std::string target,
                                       std::optional<std::string> token = {}) {
    http_request req{verb::get, target, 11};
    if (token)
      req.set(bhttp::field::authorization, "Bearer " + *token);
    std::optional<http_response> out;
    table_.dispatch_upgrade(
        std::move(req), boost::beast::tcp_stream{ioc_}, "127.0.0.1",
        [&out](boost::beast::tcp_stream, http_response res) {
          out = std::move(res);
        });
    return out;
  }

  static std::string code_of(const http_response& res) {
    auto j = nlohmann::json::parse(res.body(), nullptr, false);
    if (!j.is_object() || !j.contains("error"))
      return "";
    return j["error"].value("code", "");
  }

  static std::string message_of(const http_response& res) {
    return nlohmann::json::parse(res.body())["error"].value("message", "");
  }

  std::vector<caller> known{
      {"ann", {"reader"}}, {"bob", {"reader", "admin"}}, {"eve", {}}};
  std::vector<std::string> calls;
  std::vector<std::string> who_called;
  std::vector<std::string> credentials_seen;
  std::string last_path;
  path_params last_params;
  query_string last_query;
  boost::asio::io_context ioc_;
  route_table<caller> table_;
};

TEST_F(route_table_test, a_public_route_needs_no_credential) {
  table_.add({{verb::get, verb::head}, "/healthz", "", answer("health")});
  auto res = send(verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(who_called, std::vector<std::string>{"<public>"});
  EXPECT_TRUE(credentials_seen.empty()) << "the authenticator is not asked";
  // Its other methods are 405 without a credential too: the path is public.
  auto post = send(verb::post, "/healthz");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(code_of(post), "method_not_allowed");
  EXPECT_EQ(message_of(post), "POST is not allowed on /healthz");
}

TEST_F(route_table_test, without_a_credential_every_other_path_is_401) {
  table_.add({{verb::get}, "/api/v1/events", "reader", answer("query")});
  for (auto target : {"/api/v1/events", "/api/v1/nothing", "/", "/api/v1/e"}) {
    for (auto method : {verb::get, verb::delete_}) {
      auto res = send(method, target);
      EXPECT_EQ(res.result_int(), 401u) << target;
      EXPECT_EQ(code_of(res), "unauthorized") << target;
      EXPECT_EQ(res[bhttp::field::www_authenticate], "Bearer") << target;
    }
  }
  EXPECT_EQ(send(verb::get, "/api/v1/events", "t-mallory").result_int(), 401u);
  EXPECT_TRUE(calls.empty());
}

TEST_F(route_table_test, a_malformed_authorization_header_is_401) {
  table_.add({{verb::get}, "/x", "reader", answer("x")});
  http_request req{verb::get, "/x", 11};
  req.set(bhttp::field::authorization, "Basic YW5uOnB3");
  std::optional<http_response> out;
  table_.dispatch(std::move(req), "", [&](http_response r) { out = r; });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->result_int(), 401u);
  EXPECT_EQ((*out)[bhttp::field::www_authenticate], "Bearer");
  EXPECT_TRUE(credentials_seen.empty());
}

TEST_F(route_table_test, with_a_credential_404_405_and_403_in_that_order) {
  table_.add({{verb::get}, "/api/v1/events", "reader", answer("query")});
  table_.add({{verb::post},
              "/api/v1/events",
              "publisher",
              answer("publish"),
              "publishing needs the publisher role"});
  auto unknown = send(verb::get, "/api/v1/nothing", "t-eve");
  EXPECT_EQ(unknown.result_int(), 404u);
  EXPECT_EQ(code_of(unknown), "not_found");
  EXPECT_EQ(message_of(unknown), "no such endpoint: /api/v1/nothing");
  // eve lacks every role, but the method is checked first.
  EXPECT_EQ(send(verb::put, "/api/v1/events", "t-eve").result_int(), 405u);
  auto denied = send(verb::get, "/api/v1/events", "t-eve");
  EXPECT_EQ(denied.result_int(), 403u);
  EXPECT_EQ(code_of(denied), "forbidden");
  EXPECT_EQ(message_of(denied), "this needs the reader role");
  auto publish = send(verb::post, "/api/v1/events", "t-ann");
  EXPECT_EQ(publish.result_int(), 403u);
  EXPECT_EQ(message_of(publish), "publishing needs the publisher role");
  EXPECT_EQ(send(verb::get, "/api/v1/events", "t-ann").result_int(), 200u);
  EXPECT_EQ(calls, std::vector<std::string>{"query"});
  EXPECT_EQ(who_called, std::vector<std::string>{"ann"});
}

TEST_F(route_table_test, any_caller_routes_skip_the_role_check) {
  table_.add(
      {{}, "/api/v1/sources", std::string{any_caller}, answer("sources")});
  EXPECT_EQ(send(verb::delete_, "/api/v1/sources", "t-eve").result_int(), 200u);
  EXPECT_EQ(send(verb::get, "/api/v1/sources").result_int(), 401u);
}

TEST_F(route_table_test, the_handler_gets_path_parameters_and_query) {
  table_.add({{}, "/api/v1/users/{name}", "admin", answer("user")});
  auto res = send(verb::put, "/api/v1/users/al%69ce/?dry=1", "t-bob");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(last_path, "/api/v1/users/al%69ce");
  EXPECT_EQ(last_params.get("name"), "alice");
  ASSERT_NE(last_query.find("dry"), nullptr);
  EXPECT_EQ(*last_query.find("dry"), "1");
  // A segment that decodes to nothing reaches the handler, which answers
  // it where its contract says (not the table: 403 may come first).
  EXPECT_EQ(send(verb::get, "/api/v1/users/%FF", "t-ann").result_int(), 403u);
  EXPECT_EQ(send(verb::get, "/api/v1/users/%FF", "t-bob").result_int(), 200u);
  EXPECT_FALSE(last_params.get("name"));
}

TEST_F(route_table_test, a_target_that_does_not_parse_is_400_before_all) {
  table_.add({{verb::get}, "/x", "reader", answer("x")});
  for (auto target : {"/x?a=1&a=2", "/x?%zz=1", "/x?a=%"}) {
    auto res = send(verb::get, target);
    EXPECT_EQ(res.result_int(), 400u) << target;
    EXPECT_EQ(code_of(res), "invalid_parameter") << target;
  }
}

TEST_F(route_table_test, the_observer_sees_authenticated_requests_only) {
  table_.add({{verb::get}, "/healthz", "", answer("health")});
  table_.add({{verb::post}, "/api/v1/events", "publisher", answer("pub")});
  std::vector<unsigned> observed;
  table_.after_authentication(
      [&observed](const request_context& ctx, reply_fn& reply) {
        if (ctx.req.method() != verb::post)
          return;
        reply = [&observed, inner = reply](http_response res) {
          observed.push_back(res.result_int());
          inner(std::move(res));
        };
      });
  send(verb::post, "/healthz");                // public: 405, not observed
  send(verb::post, "/api/v1/events");          // 401, not observed
  send(verb::post, "/api/v1/events", "t-ann"); // 403
  send(verb::post, "/api/v1/nope", "t-ann");   // 404
  send(verb::get, "/api/v1/events", "t-ann");  // 405, not a POST
  EXPECT_EQ(observed, (std::vector<unsigned>{403, 404}));
}

TEST_F(route_table_test, upgrades_have_their_own_routes_and_the_same_order) {
  std::vector<std::string> streams;
  table_.add({{verb::get}, "/api/v1/events/stream", "reader", answer("get")});
  table_.add_upgrade(
      {"/api/v1/events/stream", "reader",
       [&](request_context& ctx, const caller* who, boost::beast::tcp_stream) {
         streams.push_back(who->name + ":" + ctx.credential);
         last_query = ctx.query;
       },
       "reading events needs the reader role"});
  auto none = upgrade("/api/v1/events/stream");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->result_int(), 401u);
  EXPECT_EQ((*none)[bhttp::field::www_authenticate], "Bearer");
  EXPECT_FALSE(none->keep_alive());
  // No probing: an unknown WebSocket path is 401 too, then 404.
  EXPECT_EQ(upgrade("/api/v1/other")->result_int(), 401u);
  auto unknown = upgrade("/api/v1/other", "t-ann");
  EXPECT_EQ(unknown->result_int(), 404u);
  EXPECT_EQ(message_of(*unknown), "no WebSocket endpoint at /api/v1/other");
  auto denied = upgrade("/api/v1/events/stream", "t-eve");
  EXPECT_EQ(denied->result_int(), 403u);
  EXPECT_EQ(message_of(*denied), "reading events needs the reader role");
  EXPECT_EQ(upgrade("/api/v1/events/stream?a=1&a=2")->result_int(), 400u);
  EXPECT_FALSE(upgrade("/api/v1/events/stream/", "t-ann"));
  EXPECT_EQ(streams, std::vector<std::string>{"ann:t-ann"});
}

TEST_F(route_table_test, access_token_authenticates_upgrades_only) {
  std::vector<std::string> streams;
  table_.add({{verb::get}, "/s", "reader", answer("get")});
  table_.add_upgrade(
      {"/s", "reader",
       [&](request_context& ctx, const caller* who, boost::beast::tcp_stream) {
         streams.push_back(who->name);
         last_query = ctx.query;
       }});
  EXPECT_FALSE(upgrade("/s?access_token=t-ann&name=a"));
  EXPECT_EQ(streams, std::vector<std::string>{"ann"});
  EXPECT_EQ(last_query.find("access_token"), nullptr) << "taken out";
  ASSERT_NE(last_query.find("name"), nullptr);
  // On a plain request the parameter is no credential.
  EXPECT_EQ(send(verb::get, "/s?access_token=t-ann").result_int(), 401u);
}

TEST_F(route_table_test, a_route_without_handler_is_refused) {
  EXPECT_THROW(table_.add({{verb::get}, "/x", "", nullptr}),
               std::invalid_argument);
  EXPECT_THROW(table_.add({{verb::get}, "x", "", answer("x")}),
               std::invalid_argument);
}

} // namespace
} // namespace herald::http
