// Errors with internal text (RocksDB messages, file paths, exception text)
// never reach a client (docs/API.md "Errors"): the reply is `internal` (500)
// with a message quoting a request id, the same id in X-Request-Id; the text
// goes to the log.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/errc.hpp"
#include "tools/http/http_util.hpp"

namespace herald::http {
namespace {

constexpr const char* rocksdb_text =
    "IO error: While appending to file: /var/lib/herald/store/000042.log: "
    "No space left on device";

void expect_redacted(const http_response& res) {
  EXPECT_EQ(res.result_int(), 500u);
  auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["error"]["code"], "internal");
  const auto message = body["error"]["message"].get<std::string>();
  EXPECT_EQ(res.body().find("No space"), std::string::npos) << res.body();
  EXPECT_EQ(res.body().find("/var/lib"), std::string::npos) << res.body();
  EXPECT_EQ(res.body().find("IO error"), std::string::npos) << res.body();
  EXPECT_FALSE(body["error"].contains("field")) << res.body();
  auto id = std::string{res["X-Request-Id"]};
  ASSERT_EQ(id.size(), 16u) << res.body();
  EXPECT_EQ(message, "internal error (request " + id + ")");
}

TEST(internal_errors, a_storage_error_shows_only_a_request_id) {
  auto err = caf::make_error(storage::errc::io_error, rocksdb_text);
  expect_redacted(error_response(err));
}

TEST(internal_errors, an_internal_api_error_shows_only_a_request_id) {
  expect_redacted(error_response(runtime::errc::internal, rocksdb_text,
                                 "/var/lib/herald/store"));
  expect_redacted(error_response(
      runtime::make_api_error(runtime::errc::internal,
                              std::string{"json.exception: "} + rocksdb_text)));
}

TEST(internal_errors, each_reply_gets_its_own_request_id) {
  auto a = error_response(runtime::errc::internal, "x");
  auto b = error_response(runtime::errc::internal, "x");
  EXPECT_NE(a["X-Request-Id"], b["X-Request-Id"]);
}

TEST(internal_errors, client_errors_keep_their_message_and_field) {
  auto res =
      error_response(runtime::errc::invalid_parameter, "bad limit", "limit");
  auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["error"]["message"], "bad limit");
  EXPECT_EQ(body["error"]["field"], "limit");
  EXPECT_EQ(res.find("X-Request-Id"), res.end());
}

} // namespace
} // namespace herald::http
