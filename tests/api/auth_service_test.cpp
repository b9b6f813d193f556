// auth_service as the definition actor's view of users and tokens (issues 8
// and 9): a change that cannot be applied never fails open, a password
// change ends the user's earlier login tokens, and a credential's expiry is
// known to whoever holds it open (streams). No store: the view is fed the
// definitions the definition actor would hand it.

#include "tools/api/auth_service.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::api {
namespace {

constexpr int64_t t0 = 1'700'000'000; // a Unix second

using storage::test::temp_dir;

class auth_service_test : public ::testing::Test {
protected:
  void SetUp() override { auth_ = open(); }

  std::shared_ptr<auth_service> open() {
    auth_options ao;
    ao.data_dir = dir_.path();
    ao.token_ttl = std::chrono::seconds{60};
    auto auth = auth_service::open(ao);
    EXPECT_TRUE(auth) << caf::to_string(auth.error());
    return auth ? *auth : nullptr;
  }

  /// Applies `u` as the definition actor does after a commit.
  void commit_user(const user_record& u) {
    auto def = protocol::definition{"user/" + u.name, auth_service::encode(u),
                                    ++version_};
    stored_[def.key] = def;
    ASSERT_FALSE(auth_->apply(def.key, def));
  }

  user_record make_user(const std::string& name, const std::string& password) {
    user_record u;
    u.name = name;
    auto hash = runtime::auth::hash_password(password);
    EXPECT_TRUE(hash);
    u.password_hash = hash ? *hash : "";
    u.roles = {"reader"};
    u.created_ns = (t0 - 100) * 1'000'000'000;
    return u;
  }

  std::vector<protocol::definition> stored() const {
    std::vector<protocol::definition> out;
    for (const auto& [key, def] : stored_)
      out.push_back(def);
    return out;
  }

  temp_dir dir_;
  std::shared_ptr<auth_service> auth_;
  std::map<std::string, protocol::definition> stored_;
  uint64_t version_ = 0;
};

TEST_F(auth_service_test, a_change_that_does_not_decode_drops_the_user) {
  commit_user(make_user("dora", "dora-password"));
  auto token = auth_->login("dora", "dora-password", t0);
  ASSERT_TRUE(token);
  ASSERT_TRUE(auth_->authenticate(token->token, t0));
  // The change is committed but cannot be read back: the user must be gone
  // from memory, not left as it was.
  EXPECT_TRUE(auth_->apply("user/dora",
                           protocol::definition{"user/dora", "{not json", 9}))
      << "the view reports its error";
  EXPECT_FALSE(auth_->authenticate(token->token, t0))
      << "a user's token works after a change the view could not apply";
  EXPECT_FALSE(auth_->user("dora").has_value());
  // A delete removes it too.
  commit_user(make_user("dora", "dora-password"));
  ASSERT_FALSE(auth_->apply("user/dora", std::nullopt));
  EXPECT_FALSE(auth_->user("dora").has_value());
}

TEST_F(auth_service_test, a_token_change_that_does_not_decode_revokes_it) {
  token_record t;
  t.id = "feed";
  t.name = "feed";
  const auto secret = runtime::auth::random_token(32);
  t.digest = runtime::auth::token_digest(secret);
  t.roles = {"reader"};
  ASSERT_FALSE(auth_->apply(
      "token/feed",
      protocol::definition{"token/feed", auth_service::encode(t), 1}));
  ASSERT_TRUE(auth_->authenticate(secret, t0));
  EXPECT_TRUE(
      auth_->apply("token/feed", protocol::definition{"token/feed", "[]", 2}));
  EXPECT_FALSE(auth_->authenticate(secret, t0));
  ASSERT_FALSE(auth_->apply(
      "token/feed",
      protocol::definition{"token/feed", auth_service::encode(t), 3}));
  ASSERT_TRUE(auth_->authenticate(secret, t0));
  ASSERT_FALSE(auth_->apply("token/feed", std::nullopt));
  EXPECT_FALSE(auth_->authenticate(secret, t0)) << "a revoked token works";
}

TEST_F(auth_service_test, a_malformed_stored_user_fails_the_load) {
  auto fresh = open();
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->load({protocol::definition{"user/bad", "{}", 1}}));
}

TEST_F(auth_service_test, a_password_change_refuses_tokens_of_its_second) {
  auto u = make_user("pat", "old-password");
  commit_user(u);
  auto before = auth_->login("pat", "old-password", t0);
  ASSERT_TRUE(before);
  // The change happens in second t0, after the login of that second.
  auto hash = runtime::auth::hash_password("new-password");
  ASSERT_TRUE(hash);
  u.password_hash = *hash;
  u.tokens_after_s = auth_service::tokens_after(t0 * 1'000'000'000 + 500);
  commit_user(u);
  EXPECT_FALSE(auth_->authenticate(before->token, t0))
      << "a token issued before the password change still works";
  EXPECT_FALSE(auth_->authenticate(before->token, t0 + 1));
  // A login in the same second gets a token that works at once.
  auto after = auth_->login("pat", "new-password", t0);
  ASSERT_TRUE(after);
  EXPECT_TRUE(auth_->authenticate(after->token, t0));
  EXPECT_TRUE(auth_->authenticate(after->token, t0 + 1));
  // And the old password is gone.
  EXPECT_FALSE(auth_->login("pat", "old-password", t0 + 1));
  // The rule survives a restart (it is stored with the user): a new view
  // loaded from the same definitions and the same key.
  auto reopened = open();
  ASSERT_TRUE(reopened);
  ASSERT_FALSE(reopened->load(stored()));
  EXPECT_FALSE(reopened->authenticate(before->token, t0 + 1));
  EXPECT_TRUE(reopened->authenticate(after->token, t0 + 1));
}

TEST_F(auth_service_test, a_credential_tells_its_expiry) {
  commit_user(make_user("eve", "eve-password"));
  auto token = auth_->login("eve", "eve-password", t0);
  ASSERT_TRUE(token);
  auto cred = auth_->resolve(token->token, t0);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->who.name, "eve");
  EXPECT_EQ(cred->expires_s, token->exp);
  EXPECT_EQ(cred->expires_s, t0 + 60);
  auto admin =
      auth_->resolve(std::string{"no-such-secret"}, t0); // not a token: refused
  EXPECT_FALSE(admin);
}

} // namespace
} // namespace herald::api
