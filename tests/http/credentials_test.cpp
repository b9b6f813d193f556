// Where a credential comes from: the Authorization header, or on a
// WebSocket upgrade only the access_token parameter (DESIGN §7).

#include "tools/http/credentials.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::http {
namespace {

namespace bhttp = boost::beast::http;

http_request request(std::string_view authorization = {}) {
  http_request req{bhttp::verb::get, "/x", 11};
  if (!authorization.empty())
    req.set(bhttp::field::authorization, std::string{authorization});
  return req;
}

query_string with_token(std::string value) {
  query_string q;
  q.params.emplace("access_token", std::move(value));
  q.params.emplace("name", "a.b");
  return q;
}

TEST(credentials, a_bearer_header_is_the_credential) {
  query_string q;
  for (auto header : {"Bearer abc", "bearer abc", "BEARER   abc\t"})
    EXPECT_EQ(extract_credential(request(header), q, false), "abc") << header;
}

TEST(credentials, a_header_that_is_no_bearer_credential_is_unauthorized) {
  query_string q;
  for (auto header : {"Basic YTpi", "Bearer", "Bearer    ", "Token abc"}) {
    auto c = extract_credential(request(header), q, false);
    ASSERT_FALSE(c) << header;
    EXPECT_EQ(runtime::describe(c.error()).code, runtime::errc::unauthorized);
  }
}

TEST(credentials, no_header_is_no_credential) {
  query_string q;
  EXPECT_EQ(extract_credential(request(), q, false), "");
  EXPECT_EQ(extract_credential(request(), q, true), "");
}

TEST(credentials, access_token_counts_on_upgrades_only) {
  auto plain = with_token("t1");
  EXPECT_EQ(extract_credential(request(), plain, false), "");
  EXPECT_EQ(plain.params.count("access_token"), 1u) << "left to the handler";
  auto upgrade = with_token("t1");
  EXPECT_EQ(extract_credential(request(), upgrade, true), "t1");
  EXPECT_EQ(upgrade.params.count("access_token"), 0u);
  EXPECT_EQ(upgrade.params.count("name"), 1u);
}

TEST(credentials, the_header_wins_and_the_parameter_is_dropped_anyway) {
  auto q = with_token("from-param");
  EXPECT_EQ(extract_credential(request("Bearer from-header"), q, true),
            "from-header");
  EXPECT_EQ(q.params.count("access_token"), 0u);
  auto bad = with_token("from-param");
  EXPECT_FALSE(extract_credential(request("Basic x"), bad, true));
  EXPECT_EQ(bad.params.count("access_token"), 0u);
}

} // namespace
} // namespace herald::http
