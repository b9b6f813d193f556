#pragma once

// Who may call the node (DESIGN §6 "Auth", seed 003): users (password
// hashes, groups, roles) from the users file and from the store, service
// tokens, the HS256 key, and the failed-login limiter. Turns a bearer
// credential into a runtime::identity.
//
// Users and tokens are definitions ("user/<name>", "token/<id>"); this
// class is their in-memory view for the per-request lookup
// (actors::definition_view): the definition actor loads it at spawn and
// applies every committed change before answering it, so a deleted user or
// a revoked token stops working with the next request. It never reads or
// writes storage itself. Users from the --users file are read-only through
// the API and win over a stored user of the same name.
//
// Thread-safety: every member may be called from any thread (one shared
// mutex; the limiter has its own).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "actors/definition_actor.hpp"
#include "runtime/auth.hpp"
#include "runtime/identity.hpp"

namespace herald::api {

/// The three roles of DESIGN §6.
inline constexpr std::string_view role_admin = "admin";
inline constexpr std::string_view role_publisher = "publisher";
inline constexpr std::string_view role_reader = "reader";

struct user_record {
  std::string name;
  std::string password_hash;
  std::vector<std::string> groups;
  std::vector<std::string> roles;
  bool from_file = false; ///< defined in --users, read-only via the API
  uint64_t version = 0;   ///< definition version (0 for file users)
  /// When the user was created through the API (0 for file users): login
  /// tokens issued in an earlier second belong to a previous user of the
  /// same name and are refused.
  int64_t created_ns = 0;
  /// Login tokens issued (iat) before this Unix second are refused: a
  /// password change sets it to the second after the change
  /// (auth_service::tokens_after), so every token of the old password is
  /// refused, those of the change's own second included. 0 = no change yet.
  int64_t tokens_after_s = 0;
};

struct token_record {
  std::string id;
  std::string name;
  std::string digest; ///< runtime::auth::token_digest of the secret
  std::vector<std::string> groups;
  std::vector<std::string> roles;
  int64_t created_ns = 0;
  std::string created_by;
};

struct auth_options {
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> users_file;
  std::chrono::seconds token_ttl{3600};
  /// The JWT signing key to use instead of DIR/jwt.key (a cluster's, kept
  /// in etcd so a token works on every node).
  std::optional<std::string> signing_key;
};

class auth_service : public actors::definition_view {
public:
  /// Loads the signing key (opts.signing_key, else DIR/jwt.key, created
  /// 0600 on first start).
  /// Users and tokens arrive through load() (the definition actor's spawn);
  /// then call ensure_admin_token(). Errors name the file at fault.
  static caf::expected<std::shared_ptr<auth_service>>
  open(const auth_options& opts);

  // -- actors::definition_view ("user/", "token/") --------------------------

  std::vector<std::string> prefixes() const override;
  /// The stored users and tokens, then the users file (whose entries win).
  /// A malformed stored entry or a bad users file is an error (startup).
  caf::error load(const std::vector<protocol::definition>& defs) override;
  /// A committed change of one user or token. Fails closed: a definition
  /// that does not decode removes the user / token (its credentials are
  /// refused) and the error is returned.
  caf::error apply(const std::string& key,
                   const std::optional<protocol::definition>& now) override;

  /// On the first start (no "token/admin" yet) creates the admin token: the
  /// secret to DIR/admin.token (0600) first, then the definition through
  /// `definitions` (blocking; call before serving, never from an actor).
  caf::error ensure_admin_token(caf::actor_system& sys,
                                const protocol::definitions_actor& definitions);

  /// Whether ensure_admin_token() created DIR/admin.token just now.
  bool created_admin_token() const noexcept { return created_admin_token_; }

  /// A verified credential: who it is and until when.
  struct credential {
    runtime::identity who;
    /// Unix second from which it is refused (a login token's exp); 0 for a
    /// service token, which lasts until it is revoked.
    int64_t expires_s = 0;
  };

  /// The identity behind a bearer credential (a login JWT or a service
  /// token) and its expiry. Errors: runtime::errc::unauthorized with the
  /// reason.
  caf::expected<credential> resolve(std::string_view credential,
                                    int64_t now_s) const;

  /// resolve(), identity only.
  caf::expected<runtime::identity> authenticate(std::string_view credential,
                                                int64_t now_s) const;

  /// The user_record::tokens_after_s for a password change at `change_ns`:
  /// the next whole second (JWT iat has whole seconds).
  static int64_t tokens_after(int64_t change_ns) noexcept {
    return change_ns / 1'000'000'000 + 1;
  }

  /// The identity a user's login tokens carry.
  static runtime::identity identity_of(const user_record& u);

  struct issued {
    std::string token;
    int64_t exp = 0; ///< Unix seconds
  };

  /// Checks a password (slow: argon2id; call off the io threads). The same
  /// work is done for an unknown user. unauthorized "invalid username or
  /// password" on failure.
  caf::expected<issued> login(std::string_view username,
                              std::string_view password, int64_t now_s) const;

  /// A fresh JWT for the holder of a valid, unexpired one whose user still
  /// exists. unauthorized with the reason otherwise; forbidden for a
  /// service token (nothing to renew). `subject` is set to the token's user
  /// when it could be read.
  caf::expected<issued> renew(std::string_view credential, int64_t now_s,
                              std::string& subject) const;

  runtime::auth::login_limiter& limiter() noexcept { return limiter_; }

  std::optional<user_record> user(std::string_view name) const;
  /// Whether service token `id` is known (not revoked).
  bool has_token(const std::string& id) const;
  /// The identity of principal `name` now, as a credential of it would
  /// prove: a user name, or "token/<id>" for a service token; nullopt when
  /// it no longer exists. For what acts on a principal's behalf later
  /// (a subscription delivers what its creator may see).
  std::optional<runtime::identity> principal(std::string_view name) const;
  std::vector<user_record> users() const;
  std::vector<token_record> tokens() const;

  /// Definition values (JSON text) as stored.
  static std::string encode(const user_record& u);
  static std::string encode(const token_record& t);

  /// Validation shared by the users file and the API. The field names the
  /// offending member ("/roles/1", ...).
  static caf::error check_user_name(std::string_view name);
  static caf::error check_roles(const nlohmann::json& roles,
                                const std::string& field);
  static caf::error check_groups(const nlohmann::json& groups,
                                 const std::string& field);

private:
  explicit auth_service(std::string key, auth_options opts);

  caf::error load_users_file(const std::filesystem::path& file);
  /// apply() for one user / token, with mtx_ held.
  caf::error apply_user_locked(const std::string& name,
                               const std::optional<protocol::definition>& now);
  caf::error apply_token_locked(const std::string& id,
                                const std::optional<protocol::definition>& now);
  /// Was the token issued before `u` was created (to an earlier user of the
  /// same name) or before its last password change?
  static bool predates(const runtime::auth::jwt_claims& claims,
                       const user_record& u);

  runtime::auth::jwt_codec jwt_;
  auth_options opts_;
  std::string dummy_hash_; ///< verified for unknown users (same timing)
  bool created_admin_token_ = false;
  mutable runtime::auth::login_limiter limiter_;

  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, user_record> users_;
  std::unordered_map<std::string, token_record> tokens_; ///< by id
  std::unordered_map<std::string, std::string> token_by_digest_;
};

} // namespace herald::api
