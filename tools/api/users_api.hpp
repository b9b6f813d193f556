#pragma once

// Users (DESIGN §6 "Auth"), admin only: `GET /api/v1/users`,
// `GET|PUT|DELETE /api/v1/users/{name}` ({"password","groups","roles"}).
// Users of the --users file are read-only here (409). Every change is a
// definition committed with its auth.user.* event; after it, auth_service
// re-reads the user and the user's open streams follow: a deleted user, a
// new password or a lost reader role ends them (1008 credential_revoked),
// a change of groups or roles reaches them before the reply. Password
// hashing runs on admin_context's pool. Thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "tools/api/admin_context.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class users_api {
public:
  /// `admin` outlives this.
  explicit users_api(admin_context& admin);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  void list(http::request_context& ctx, http::reply_fn reply);
  void item(http::request_context& ctx, const runtime::identity& who,
            http::reply_fn reply);
  /// After a committed change of user `name` (or its delete): re-reads it
  /// into memory, ends or updates its open streams (`password_changed`
  /// ends them), then calls `reply_ok` — or replies the refresh's error
  /// (5xx), the streams ended all the same: a change never fails open.
  /// For define()'s on_failure: ends `name`'s streams when the view no
  /// longer has the user.
  std::function<void()> revoke_if_dropped(std::string name);
  void user_changed(const std::string& name, bool password_changed,
                    unsigned version, bool keep_alive,
                    const http::reply_fn& reply,
                    std::function<void()> reply_ok);

  admin_context& admin_;
  std::shared_ptr<auth_service> auth_;
};

} // namespace herald::api
