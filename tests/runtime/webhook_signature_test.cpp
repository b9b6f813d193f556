// Standard Webhooks signatures (runtime/webhook_signature.hpp). The
// expected values come from outside Herald: the specification's published
// vector, RFC 4231 and Python's hmac module, so that a receiver's library
// (not just our own code) accepts what we send.

#include "runtime/webhook_signature.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "runtime/base64.hpp"

namespace herald::runtime {
namespace {

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(webhook_signature, standard_webhooks_published_vector) {
  // https://github.com/standard-webhooks/standard-webhooks (spec and every
  // reference library's tests).
  auto key = webhook_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 24u);
  EXPECT_EQ(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                              R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(webhook_signature, matches_an_independent_hmac) {
  // python3: base64.b64encode(hmac.new(bytes(range(24)),
  //   b'evt-1.1700000000.{"name":"a.b"}', hashlib.sha256).digest())
  auto key = webhook_secret_key("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");
  ASSERT_TRUE(key);
  std::string expected_key;
  for (int i = 0; i < 24; ++i)
    expected_key += static_cast<char>(i);
  EXPECT_EQ(*key, expected_key);
  EXPECT_EQ(webhook_signature(*key, "evt-1", 1700000000, R"({"name":"a.b"})"),
            "v1,xrLXW7nahwLtrUHIou6701vLlKKakUi/DJbeurD18Fs=");
}

TEST(webhook_signature, hmac_sha256_rfc4231) {
  // Test case 2 (a key shorter than the block).
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6 (a key longer than the block is hashed first).
  EXPECT_EQ(hex(hmac_sha256(
                std::string(131, '\xaa'),
                "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(webhook_signature, the_message_is_id_dot_timestamp_dot_body) {
  const std::string key = "k";
  EXPECT_EQ(webhook_signature(key, "id", 5, "body"),
            "v1," + encode_base64(hmac_sha256(key, "id.5.body")));
  // Every part is covered: a change of any one changes the signature.
  const auto base = webhook_signature(key, "id", 5, "body");
  EXPECT_NE(webhook_signature(key, "id2", 5, "body"), base);
  EXPECT_NE(webhook_signature(key, "id", 6, "body"), base);
  EXPECT_NE(webhook_signature(key, "id", 5, "body "), base);
  EXPECT_NE(webhook_signature("k2", "id", 5, "body"), base);
}

TEST(webhook_signature, new_secrets_are_24_random_bytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto secret = make_webhook_secret();
    ASSERT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
    auto key = webhook_secret_key(secret);
    ASSERT_TRUE(key) << secret;
    EXPECT_EQ(key->size(), 24u);
    seen.insert(*key);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(webhook_signature, secret_key_accepts_bare_base64_and_refuses_junk) {
  EXPECT_EQ(webhook_secret_key("Zm9vYmFy"), "foobar");
  EXPECT_EQ(webhook_secret_key("whsec_Zm9vYmFy"), "foobar");
  EXPECT_FALSE(webhook_secret_key(""));
  EXPECT_FALSE(webhook_secret_key("whsec_"));
  EXPECT_FALSE(webhook_secret_key("whsec_not base64!"));
  EXPECT_FALSE(webhook_secret_key("whsec_Z"));
}

} // namespace
} // namespace herald::runtime
