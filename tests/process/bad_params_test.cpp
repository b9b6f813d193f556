// Bad query and stream parameters (DESIGN §7 "Query", "Streams", "Errors"):
// HTTP 400 with `field` = the parameter's name; streams refuse before the
// WebSocket upgrade.

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using bad_query = process_test;

http_response query(const http_client& client, header_list params) {
  return client.get(with_query(events_path, params));
}

TEST_F(bad_query, limit_out_of_range) {
  EXPECT_TRUE(is_api_error(query(http(), {{"limit", "0"}}), 400,
                           {"invalid_parameter"}, "limit"));
  EXPECT_TRUE(is_api_error(query(http(), {{"limit", "5000"}}), 400,
                           {"invalid_parameter"}, "limit"));
  EXPECT_TRUE(is_api_error(query(http(), {{"limit", "ten"}}), 400,
                           {"invalid_parameter"}, "limit"));
  EXPECT_EQ(query(http(), {{"limit", "1000"}}).status, 200);
}

TEST_F(bad_query, unknown_order) {
  EXPECT_TRUE(is_api_error(query(http(), {{"order", "sideways"}}), 400,
                           {"invalid_parameter"}, "order"));
}

TEST_F(bad_query, since_and_until_not_rfc3339) {
  EXPECT_TRUE(is_api_error(query(http(), {{"since", "garbage"}}), 400,
                           {"invalid_time", "invalid_parameter"}, "since"));
  EXPECT_TRUE(is_api_error(query(http(), {{"until", "2026-02-30T00:00:00Z"}}),
                           400, {"invalid_time", "invalid_parameter"},
                           "until"));
}

TEST_F(bad_query, filter_not_json) {
  EXPECT_TRUE(is_api_error(query(http(), {{"filter", "not-json"}}), 400,
                           {"invalid_filter", "invalid_json"}, "filter"));
}

TEST_F(bad_query, filter_json_but_not_a_filter) {
  EXPECT_TRUE(is_api_error(query(http(), {{"filter", R"({"source":"iam"})"}}),
                           400, {"invalid_filter"}, "filter"));
  EXPECT_TRUE(is_api_error(
      query(http(), {{"filter", R"({"data.code":[{"numeric":["~",1]}]})"}}),
      400, {"invalid_filter"}, "filter"));
}

TEST_F(bad_query, name_pattern_with_gt_not_last) {
  EXPECT_TRUE(is_api_error(query(http(), {{"name", "a.>.b"}}), 400,
                           {"invalid_pattern", "invalid_name"}, "name"));
  EXPECT_TRUE(is_api_error(query(http(), {{"name", "a..b"}}), 400,
                           {"invalid_pattern", "invalid_name"}, "name"));
}

TEST_F(bad_query, after_not_a_cursor) {
  EXPECT_TRUE(is_api_error(query(http(), {{"after", "garbage"}}), 400,
                           {"invalid_cursor", "invalid_parameter"}, "after"));
}

TEST_F(bad_query, scope_with_empty_segment) {
  EXPECT_TRUE(is_api_error(query(http(), {{"scope", "inventory//x"}}), 400,
                           {"invalid_scope", "invalid_parameter"}, "scope"));
}

/// Opens a stream with `params`; checks the upgrade is refused with a 400
/// and (when the body is readable) an error naming one of `fields`.
::testing::AssertionResult
stream_refused(heraldd_process& node, const header_list& params,
               std::initializer_list<std::string_view> codes,
               std::initializer_list<std::string_view> fields) {
  ws_client ws;
  ws_connect_options options;
  options.bearer = node.admin_token();
  auto up = ws.connect(node.http_port(),
                       with_query("/api/v1/events/stream", params), options);
  if (up.upgraded)
    return ::testing::AssertionFailure() << "upgrade accepted";
  if (up.status != 400)
    return ::testing::AssertionFailure()
           << "expected HTTP 400 before the upgrade: " << up.describe();
  http_response as_http;
  as_http.status = up.status;
  as_http.body = up.body;
  for (auto field : fields)
    if (is_api_error(as_http, 400, codes, field))
      return ::testing::AssertionSuccess();
  return is_api_error(as_http, 400, codes, *fields.begin());
}

TEST_F(bad_query, stream_from_seq_with_since) {
  EXPECT_TRUE(stream_refused(
      node(), {{"from_seq", "1"}, {"since", "2026-01-01T00:00:00Z"}},
      {"invalid_parameter"}, {"from_seq", "since"}));
}

TEST_F(bad_query, stream_from_seq_not_a_number) {
  EXPECT_TRUE(stream_refused(node(), {{"from_seq", "abc"}},
                             {"invalid_parameter"}, {"from_seq"}));
  EXPECT_TRUE(stream_refused(node(), {{"from_seq", "-3"}},
                             {"invalid_parameter"}, {"from_seq"}));
}

TEST_F(bad_query, stream_bad_name_pattern_and_filter) {
  EXPECT_TRUE(stream_refused(node(), {{"name", "a.>.b"}},
                             {"invalid_pattern", "invalid_name"}, {"name"}));
  EXPECT_TRUE(stream_refused(node(), {{"filter", "not-json"}},
                             {"invalid_filter", "invalid_json"}, {"filter"}));
}

} // namespace
} // namespace herald::test
