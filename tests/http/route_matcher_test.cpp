// route_matcher: which pattern a path takes, what it captures, and which
// route of that pattern the method picks (404 vs 405 is decided here).

#include "tools/http/route_matcher.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace herald::http {
namespace {

using verb = boost::beast::http::verb;

class route_matcher_test : public ::testing::Test {
protected:
  route_matcher m;
};

TEST_F(route_matcher_test, a_literal_pattern_matches_only_itself) {
  auto id = m.add("/healthz", {verb::get, verb::head});
  auto hit = m.find(verb::get, "/healthz");
  ASSERT_TRUE(hit.pattern);
  ASSERT_TRUE(hit.route);
  EXPECT_EQ(*hit.route, id);
  EXPECT_FALSE(m.find(verb::get, "/healthzz").pattern);
  EXPECT_FALSE(m.find(verb::get, "/healthz/x").pattern);
  EXPECT_FALSE(m.find(verb::get, "/").pattern);
}

TEST_F(route_matcher_test, another_method_finds_the_pattern_but_no_route) {
  m.add("/api/v1/events", {verb::get});
  m.add("/api/v1/events", {verb::post});
  auto get = m.find(verb::get, "/api/v1/events");
  auto post = m.find(verb::post, "/api/v1/events");
  ASSERT_TRUE(get.route && post.route);
  EXPECT_NE(*get.route, *post.route);
  auto put = m.find(verb::put, "/api/v1/events");
  ASSERT_TRUE(put.pattern);
  EXPECT_FALSE(put.route);
  EXPECT_EQ(m.routes_of(*put.pattern).size(), 2u);
}

TEST_F(route_matcher_test, a_route_without_methods_takes_every_method) {
  auto id = m.add("/api/v1/users", {});
  for (auto v : {verb::get, verb::put, verb::delete_, verb::patch}) {
    auto hit = m.find(v, "/api/v1/users");
    ASSERT_TRUE(hit.route);
    EXPECT_EQ(*hit.route, id);
  }
}

TEST_F(route_matcher_test, a_parameter_captures_one_non_empty_segment) {
  m.add("/api/v1/users/{name}", {verb::get});
  auto hit = m.find(verb::get, "/api/v1/users/al%69ce");
  ASSERT_TRUE(hit.route);
  EXPECT_TRUE(hit.params.has("name"));
  EXPECT_EQ(hit.params.raw("name"), "al%69ce");
  EXPECT_EQ(hit.params.get("name"), "alice");
  EXPECT_FALSE(m.find(verb::get, "/api/v1/users/").pattern);
  EXPECT_FALSE(m.find(verb::get, "/api/v1/users/a/b").pattern);
  EXPECT_FALSE(m.find(verb::get, "/api/v1/users").pattern);
}

TEST_F(route_matcher_test, a_segment_that_names_nothing_decodes_to_nullopt) {
  m.add("/x/{id}", {verb::get});
  for (const char* bad :
       {"/x/%zz", "/x/%", "/x/%FF", "/x/%C3%28", "/x/%ED%A0%80", "/x/%C0%80"}) {
    auto hit = m.find(verb::get, bad);
    ASSERT_TRUE(hit.route) << bad;
    EXPECT_FALSE(hit.params.get("id")) << bad;
  }
  // An encoded '/' is part of the name, and UTF-8 is fine.
  EXPECT_EQ(m.find(verb::get, "/x/%2Fshop%2Forders").params.get("id"),
            "/shop/orders");
  EXPECT_EQ(m.find(verb::get, "/x/caf%C3%A9").params.get("id"), "caf\xc3\xa9");
  EXPECT_FALSE(m.find(verb::get, "/x/a").params.get("other"));
}

TEST_F(route_matcher_test, the_most_specific_pattern_wins) {
  auto by_id = m.add("/api/v1/events/{id}", {verb::get});
  auto stream = m.add("/api/v1/events/stream", {verb::get});
  auto query = m.add("/api/v1/events/query/{levels...}", {verb::get});
  EXPECT_EQ(*m.find(verb::get, "/api/v1/events/stream").route, stream);
  EXPECT_EQ(*m.find(verb::get, "/api/v1/events/e-1").route, by_id);
  EXPECT_EQ(*m.find(verb::get, "/api/v1/events/query").route, query);
  EXPECT_EQ(*m.find(verb::get, "/api/v1/events/query/a/b").route, query);
  // The literal takes the path even for a method only the parameter
  // pattern has: POST on the stream is 405, not the id route.
  m.add("/api/v1/events/{id}", {verb::delete_});
  auto del = m.find(verb::delete_, "/api/v1/events/stream");
  ASSERT_TRUE(del.pattern);
  EXPECT_FALSE(del.route);
}

TEST_F(route_matcher_test, an_exact_pattern_beats_a_rest_that_matches_nothing) {
  auto rest = m.add("/a/{more...}", {verb::get});
  auto exact = m.add("/a", {verb::get});
  EXPECT_EQ(*m.find(verb::get, "/a").route, exact);
  EXPECT_EQ(*m.find(verb::get, "/a/b").route, rest);
}

TEST_F(route_matcher_test, a_rest_parameter_takes_the_rest_of_the_path) {
  m.add("/q/{levels...}", {verb::get});
  auto none = m.find(verb::get, "/q");
  ASSERT_TRUE(none.route);
  EXPECT_FALSE(none.params.has("levels"));
  auto empty = m.find(verb::get, "/q/");
  ASSERT_TRUE(empty.route);
  EXPECT_TRUE(empty.params.has("levels"));
  EXPECT_EQ(empty.params.raw("levels"), "");
  auto deep = m.find(verb::get, "/q/inventory/p%2F1/a/");
  ASSERT_TRUE(deep.route);
  EXPECT_EQ(deep.params.raw("levels"), "inventory/p%2F1/a/");
  EXPECT_FALSE(m.find(verb::get, "/qq").pattern);
}

TEST_F(route_matcher_test, the_root_is_a_path_like_any_other) {
  auto root = m.add("/", {verb::get});
  EXPECT_EQ(*m.find(verb::get, "/").route, root);
  EXPECT_FALSE(m.find(verb::get, "/x").pattern);
}

TEST_F(route_matcher_test, a_target_not_starting_with_a_slash_matches_nothing) {
  m.add("/metrics", {verb::get});
  m.add("/{any}", {verb::options});
  EXPECT_FALSE(m.find(verb::get, "metrics").pattern);
  EXPECT_FALSE(m.find(verb::options, "*").pattern);
  EXPECT_FALSE(m.find(verb::get, "http://host/metrics").pattern);
  EXPECT_FALSE(m.find(verb::get, "").pattern);
}

TEST_F(route_matcher_test, malformed_or_clashing_patterns_are_refused) {
  EXPECT_THROW(m.add("", {}), std::invalid_argument);
  EXPECT_THROW(m.add("api", {}), std::invalid_argument);
  EXPECT_THROW(m.add("/a/{}", {}), std::invalid_argument);
  EXPECT_THROW(m.add("/a/{b", {}), std::invalid_argument);
  EXPECT_THROW(m.add("/a/x{b}", {}), std::invalid_argument);
  EXPECT_THROW(m.add("/a/{rest...}/b", {}), std::invalid_argument);
  m.add("/u/{name}", {verb::get});
  EXPECT_THROW(m.add("/u/{id}", {verb::put}), std::invalid_argument);
  EXPECT_THROW(m.add("/u/{name}", {verb::get}), std::invalid_argument);
  EXPECT_THROW(m.add("/u/{name}", {}), std::invalid_argument);
  EXPECT_NO_THROW(m.add("/u/{name}", {verb::put}));
}

} // namespace
} // namespace herald::http
