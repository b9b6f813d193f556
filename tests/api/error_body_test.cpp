// Property test over every parser reachable from the network (docs/SECURITY.md
// "Bad input"): whatever bytes they are fed — invalid UTF-8, NUL, lone
// surrogates (raw and escaped), percent-encoded garbage, deep nesting, huge
// numbers — every error they return serialises through error_response (the
// HTTP layer's path) into valid UTF-8 JSON of DESIGN §7's shape.

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fuzz/error_check.hpp"
#include "runtime/auth.hpp"
#include "runtime/content_filter.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/seed004_codec.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/api/query_params.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {
namespace {

using http::check_known_params;
using http::error_response;
using http::http_request;
using http::parse_precondition;
using http::parse_target;
using http::query_string;

constexpr int64_t fixed_now = 1795341600123456789;

/// Hostile fragments: bytes that are not UTF-8, NUL, UTF-8-encoded and
/// escaped surrogates, percent-encoded versions of them, JSON syntax.
const std::vector<std::string> fragments = {
    "\xff",
    "\xfe\xff",
    "\xc0\x80",
    "\xc3",
    "\xe2\x82",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    std::string(1, '\0'),
    "\\ud800",
    "\\udc00x",
    "\\u0000",
    "%FF",
    "%00",
    "%ED%A0%80",
    "%C3%28",
    "%",
    "%G1",
    "caf\xc3\xa9",
    "a.b",
    "\"",
    "{",
    "[",
    "]",
    "}",
    ":",
    ",",
    "1e99999",
    "-1e400",
    "123456789012345678901234567890",
    "/",
    "?",
    "&",
    "=",
    " ",
    "\t",
    "\r\n",
    "x",
    "name",
    "data",
};

class hostile_text {
public:
  explicit hostile_text(uint32_t seed) : rng_(seed) {}

  /// 0-8 fragments, concatenated.
  std::string next() {
    std::string out;
    auto n = pick(9);
    for (size_t i = 0; i < n; ++i)
      out += fragments[pick(fragments.size())];
    return out;
  }

  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

private:
  std::mt19937 rng_;
};

/// Records a failure when `err` does not serialise through the HTTP layer.
void expect_serialises(const caf::error& err, const char* parser,
                       const std::string& input) {
  if (!err)
    return;
  EXPECT_EQ(fuzz::error_problem(err), "")
      << parser << " on "
      << nlohmann::json(input).dump(-1, ' ', true,
                                    nlohmann::json::error_handler_t::replace);
  std::string body;
  try {
    body = error_response(err).body();
  } catch (const std::exception& e) {
    ADD_FAILURE() << parser << ": error_response threw " << e.what();
    return;
  }
  EXPECT_EQ(fuzz::error_body_problem(body), "") << parser << ": " << body;
}

template <class T>
void expect_serialises(const caf::expected<T>& r, const char* parser,
                       const std::string& input) {
  if (!r)
    expect_serialises(r.error(), parser, input);
}

constexpr int rounds = 2000;

TEST(error_bodies, query_strings_and_parameters) {
  hostile_text gen{1};
  for (int i = 0; i < rounds; ++i) {
    auto target = "/api/v1/events?" + gen.next() + "=" + gen.next() + "&" +
                  gen.next() + "&" + gen.next() + "=" + gen.next();
    std::string path;
    query_string q;
    auto err = parse_target(target, path, q);
    expect_serialises(err, "parse_target", target);
    if (err)
      continue;
    expect_serialises(check_known_params(q, {"name"}), "check_known_params",
                      target);
    expect_serialises(parse_event_query(q), "parse_event_query", target);
    expect_serialises(parse_stream_spec(q), "parse_stream_spec", target);
  }
  // Named parameters with hostile values reach each parameter's own parser.
  for (const char* name :
       {"name", "scope", "since", "until", "after", "limit", "order", "filter",
        "format", "from_seq", "queue", "source", "tenant", "user"}) {
    for (int i = 0; i < rounds / 10; ++i) {
      query_string q;
      q.params[name] = gen.next();
      auto input = std::string{name} + "=" + q.params[name];
      expect_serialises(parse_event_query(q), "parse_event_query", input);
      expect_serialises(parse_stream_spec(q), "parse_stream_spec", input);
    }
  }
}

TEST(error_bodies, publish_bodies_in_every_shape) {
  hostile_text gen{2};
  runtime::publish_limits limits;
  limits.max_batch = 16;
  const std::vector<std::string> shapes = {
      R"({"name":"$","data":"$"})",
      R"({"name":"a.b","$":1})",
      R"([{"name":"a.b"},{"name":"$","scope":"$","time":"$"}])",
      R"({"name":"a.b","id":"$","source":"$","tenant":"$","user":"$"})",
      R"({"name":"a.b","allowed_groups":["$"],"traceparent":"$"})",
      R"({"specversion":"1.0","type":"$","source":"$","id":"$","data":$})",
      R"({"specversion":"$","type":"a.b","source":"s","id":"1","$":"x","data_base64":"$"})",
      R"({"event_type":"$","event_id":"$","payload":{"$":"$"}})",
      R"({"headers":{"name":"$","id":"$"},"body":"$"})",
      R"({"type":"$","scope":{"inventory_a":"$"},"timestamp":$})",
      R"({"name":"a.b","data":$})",
  };
  for (int i = 0; i < rounds; ++i) {
    std::string body = shapes[gen.pick(shapes.size())];
    for (auto at = body.find('$'); at != std::string::npos;
         at = body.find('$', at + 1)) {
      auto hole = gen.next();
      body.replace(at, 1, hole);
      at += hole.size() ? hole.size() - 1 : 0;
    }
    expect_serialises(runtime::decode_publish(body, limits, fixed_now),
                      "decode_publish", body);
    expect_serialises(runtime::decode_create_event(body, limits, fixed_now),
                      "decode_create_event", body);
    std::vector<std::pair<std::string, std::string>> headers = {
        {"ce-specversion", "1.0"},
        {"ce-type", gen.next()},
        {"ce-source", gen.next()},
        {"ce-id", gen.next()},
        {"ce-" + gen.next(), gen.next()}};
    expect_serialises(runtime::decode_cloudevent_binary(
                          headers,
                          gen.pick(2) ? "application/json" : gen.next(), body,
                          limits, fixed_now),
                      "decode_cloudevent_binary", body);
  }
  // Absurd nesting and numbers.
  std::string deep = R"({"name":"a.b","data":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  expect_serialises(runtime::decode_publish(deep, limits, fixed_now),
                    "decode_publish", "deep");
  std::string deep_filter = std::string(100000, '[') + std::string(100000, ']');
  expect_serialises(runtime::content_filter::parse(deep_filter, "filter"),
                    "content_filter::parse", "deep");
}

TEST(error_bodies, content_filters) {
  hostile_text gen{3};
  const std::vector<std::string> shapes = {
      R"({"$":["$"]})",
      R"({"data.$":[{"prefix":"$"}]})",
      R"({"data.a":[{"numeric":[">",$]}]})",
      R"({"data.a":[{"anything-but":["$",$]}]})",
      R"({"data.a":[{"$":"$"}]})",
      R"({"data.a":[{"wildcard":"$"},{"equals-ignore-case":"$"}]})",
      "$",
  };
  for (int i = 0; i < rounds; ++i) {
    std::string text = shapes[gen.pick(shapes.size())];
    for (auto at = text.find('$'); at != std::string::npos;
         at = text.find('$', at + 1)) {
      auto hole = gen.next();
      text.replace(at, 1, hole);
      at += hole.size() ? hole.size() - 1 : 0;
    }
    expect_serialises(runtime::content_filter::parse(text, "filter"),
                      "content_filter::parse", text);
  }
}

TEST(error_bodies, admin_parsers_and_headers) {
  hostile_text gen{4};
  runtime::auth::jwt_codec codec{std::string(32, 'k')};
  for (int i = 0; i < rounds; ++i) {
    auto text = gen.next();
    expect_serialises(auth_service::check_user_name(text), "check_user_name",
                      text);
    auto j = nlohmann::json::parse("[\"" + text + "\"]", nullptr, false);
    if (!j.is_discarded()) {
      expect_serialises(auth_service::check_roles(j, "/roles"), "check_roles",
                        text);
      expect_serialises(auth_service::check_groups(j, "/groups"),
                        "check_groups", text);
    }
    expect_serialises(codec.verify(text, 1), "jwt verify", text);
    for (auto field : {boost::beast::http::field::if_match,
                       boost::beast::http::field::if_none_match}) {
      http_request req;
      std::string value;
      for (char c : text)
        if (c != '\r' && c != '\n' && c != '\0')
          value += c; // what Beast lets through
      req.set(field, value);
      expect_serialises(parse_precondition(req), "parse_precondition", text);
    }
  }
}

TEST(error_bodies, any_text_in_message_and_field_serialises) {
  hostile_text gen{5};
  for (int i = 0; i < rounds; ++i) {
    auto message = gen.next();
    auto field = gen.next();
    auto err = runtime::make_api_error(runtime::errc::invalid_parameter,
                                       message, field);
    expect_serialises(err, "make_api_error", message + field);
  }
  // The request that used to terminate heraldd.
  std::string path;
  query_string q;
  auto err = parse_target("/healthz?%FF=1&%FF=2", path, q);
  ASSERT_TRUE(err);
  auto body = nlohmann::json::parse(error_response(err).body());
  EXPECT_EQ(body["error"]["code"], "invalid_parameter");
  EXPECT_EQ(body["error"]["field"], "\xEF\xBF\xBD");
}

} // namespace
} // namespace herald::api
