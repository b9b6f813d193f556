// auth_service on a real store (issue 8): revocation never fails open, a
// password change ends the user's earlier login tokens, and a credential's
// expiry is known to whoever holds it open (streams).

#include "tools/api/auth_service.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "storage/event_store.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::api {
namespace {

constexpr int64_t t0 = 1'700'000'000; // a Unix second

using storage::test::temp_dir;

class auth_service_test : public ::testing::Test {
protected:
  void SetUp() override {
    storage::store_options so;
    so.dir = dir_.path() / "store";
    auto store = storage::event_store::open(so);
    ASSERT_TRUE(store) << caf::to_string(store.error());
    store_ = std::shared_ptr<storage::event_store>(std::move(*store));
    auth_options ao;
    ao.data_dir = dir_.path();
    ao.token_ttl = std::chrono::seconds{60};
    auto auth = auth_service::open(store_, ao);
    ASSERT_TRUE(auth) << caf::to_string(auth.error());
    auth_ = std::move(*auth);
  }

  /// Stores `u` as the API would and refreshes it into memory.
  void commit_user(const user_record& u) {
    std::vector<v1::Event> none;
    auto res = store_->commit_definition(
        storage::definition_write{"user/" + u.name, auth_service::encode(u),
                                  std::nullopt},
        none, "", 0);
    ASSERT_TRUE(res) << caf::to_string(res.error());
    ASSERT_FALSE(auth_->refresh_user(u.name));
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

  void delete_definition(const std::string& key) {
    std::vector<v1::Event> none;
    auto res = store_->commit_definition(
        storage::definition_write{key, std::nullopt, std::nullopt}, none, "",
        0);
    ASSERT_TRUE(res) << caf::to_string(res.error());
  }

  temp_dir dir_;
  std::shared_ptr<storage::event_store> store_;
  std::shared_ptr<auth_service> auth_;
};

TEST_F(auth_service_test, a_failed_user_refresh_still_refuses_a_deleted_user) {
  commit_user(make_user("dora", "dora-password"));
  auto token = auth_->login("dora", "dora-password", t0);
  ASSERT_TRUE(token);
  ASSERT_TRUE(auth_->authenticate(token->token, t0));
  // The delete is committed, then the store fails before the refresh reads
  // it back: the user must be gone from memory all the same.
  delete_definition("user/dora");
  ASSERT_FALSE(store_->close());
  EXPECT_TRUE(auth_->refresh_user("dora")) << "the refresh reports its error";
  auto who = auth_->authenticate(token->token, t0);
  EXPECT_FALSE(who) << "a deleted user's token works after a failed refresh";
  EXPECT_FALSE(auth_->user("dora").has_value());
}

TEST_F(auth_service_test, a_failed_token_refresh_still_refuses_the_token) {
  token_record t;
  t.id = "feed";
  t.name = "feed";
  const auto secret = runtime::auth::random_token(32);
  t.digest = runtime::auth::token_digest(secret);
  t.roles = {"reader"};
  std::vector<v1::Event> none;
  ASSERT_TRUE(store_->commit_definition(
      storage::definition_write{"token/feed", auth_service::encode(t), 0}, none,
      "", 0));
  ASSERT_FALSE(auth_->refresh_token("feed"));
  ASSERT_TRUE(auth_->authenticate(secret, t0));
  delete_definition("token/feed");
  ASSERT_FALSE(store_->close());
  EXPECT_TRUE(auth_->refresh_token("feed"));
  EXPECT_FALSE(auth_->authenticate(secret, t0));
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
  // The rule survives a restart (it is stored with the user).
  auth_options ao;
  ao.data_dir = dir_.path();
  auto reopened = auth_service::open(store_, ao);
  ASSERT_TRUE(reopened);
  EXPECT_FALSE((*reopened)->authenticate(before->token, t0 + 1));
  EXPECT_TRUE((*reopened)->authenticate(after->token, t0 + 1));
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
