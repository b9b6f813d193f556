#pragma once

// Service tokens (DESIGN §6 "Auth"), admin only: `GET /api/v1/tokens`,
// `POST /api/v1/tokens` {"name","roles","groups"} → the token's secret,
// shown once, and `DELETE /api/v1/tokens/{id}`. Each change is a
// definition committed with its auth.token.* event; a revoked token is
// refused from the next request on and its open streams end (1008
// credential_revoked). Thread-safe.

#include <memory>

#include "tools/api/admin_context.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class tokens_api {
public:
  /// `admin` outlives this.
  explicit tokens_api(admin_context& admin);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  void list_or_create(http::request_context& ctx, const runtime::identity& who,
                      http::reply_fn reply);
  void revoke(http::request_context& ctx, const runtime::identity& who,
              http::reply_fn reply);

  admin_context& admin_;
  std::shared_ptr<auth_service> auth_;
};

} // namespace herald::api
