#pragma once

// The config service (DESIGN §6, seed 000), admin only:
// `GET /api/v1/config` (keys and versions), `GET|PUT|DELETE
// /api/v1/config/{key}` with any JSON document as the value, ETags with the
// version, and If-Match / If-None-Match preconditions (409 when they fail;
// without If-Match a concurrent change of the same key is a 409 too, never
// a silent overwrite). Keys are 1-256 characters of [A-Za-z0-9._:-]
// (400 invalid_parameter otherwise). Each change is a definition committed
// with its config-updated / config-deleted event; reads and changes go
// through the definition actor. Thread-safe.

#include <memory>

#include "tools/api/admin_context.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class config_api {
public:
  /// `admin` outlives this.
  explicit config_api(admin_context& admin);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  void list(http::request_context& ctx, http::reply_fn reply);
  void item(http::request_context& ctx, const runtime::identity& who,
            http::reply_fn reply);

  admin_context& admin_;
};

} // namespace herald::api
