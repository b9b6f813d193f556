#pragma once

// Sources (DESIGN §4, seed 002): every `source` value seen is a source.
// `GET /api/v1/sources` and `GET /api/v1/sources/{id}` (reader) list them
// with their counts; `PUT /api/v1/sources/{id}` {"enabled":bool} (admin)
// enables or disables one — publishes from a disabled source fail with
// `source_disabled`. Herald's own source (`herald`) is always listed and
// cannot be disabled. A change is a definition committed with its
// source.updated event. Reads come from the store directly for now (see
// README). Thread-safe.

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "tools/api/admin_context.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class sources_api {
public:
  /// `admin` outlives this.
  explicit sources_api(admin_context& admin);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  void list(http::request_context& ctx, const runtime::identity& who,
            http::reply_fn reply);
  void item(http::request_context& ctx, const runtime::identity& who,
            http::reply_fn reply);
  admin_context& admin_;
};

} // namespace herald::api
