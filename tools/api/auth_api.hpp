#pragma once

// Login and renew (DESIGN §6 "Auth", seed 003): `POST /api/v1/auth/login`
// {"username","password"} and `POST /api/v1/auth/renew` (the bearer token
// to renew) → {"token","token_type":"Bearer","exp"}. Both are public routes:
// they check their own credentials. Every attempt is in the trail
// (auth.ok / auth.renew / auth.error with username, ip and exp or reason)
// before it is answered — no token without its record. Failed attempts
// count in auth_service's limiter (429 with Retry-After). Password checks
// run on admin_context's hashing pool. Thread-safe.

#include <memory>
#include <string>

#include "tools/api/admin_context.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class auth_api {
public:
  /// `admin` outlives this.
  explicit auth_api(admin_context& admin);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  void login(const http::http_request& req, const std::string& ip,
             http::reply_fn reply);
  void renew(const http::http_request& req, const std::string& ip,
             http::reply_fn reply);
  /// A failed login or renew: stores auth.error {username, ip, reason},
  /// then replies `err` (401s with WWW-Authenticate).
  void refuse_auth(caf::error err, const std::string& username,
                   const std::string& ip, unsigned version, bool keep_alive,
                   const http::reply_fn& reply);
  /// A successful login or renew: stores `event` {username, ip, exp}, then
  /// replies the token — or the store's error: no token without its record.
  void hand_out(const char* event, const auth_service::issued& token,
                const std::string& username, const std::string& ip,
                unsigned version, bool keep_alive, const http::reply_fn& reply);

  admin_context& admin_;
  std::shared_ptr<auth_service> auth_;
};

} // namespace herald::api
