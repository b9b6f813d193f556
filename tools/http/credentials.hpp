#pragma once

// Where a request's credential comes from (DESIGN §6, §7): what the route
// table hands to the authenticator the API supplies. Only the extraction
// lives here; what a credential is worth is the API's business. Pure
// functions, thread-safe.

#include <string>

#include <caf/expected.hpp>

#include "tools/http/http_util.hpp"

namespace herald::http {

/// The query parameter that may carry the credential of a WebSocket upgrade
/// (browsers cannot set headers on a WebSocket).
inline constexpr std::string_view access_token_param = "access_token";

/// The credential `req` carries:
///  - its `Authorization: Bearer <token>` header (see bearer_token); a
///    header that is not a non-empty Bearer credential is `unauthorized`;
///  - else, on a WebSocket upgrade (`upgrade`) only, its `access_token`
///    query parameter;
///  - else "" (none: the authenticator decides, 401 as a rule).
/// On an upgrade `access_token` is taken out of `query` whether or not it
/// is used, so no handler sees it as a parameter of its own; on a plain
/// request it stays (and is an unknown parameter where those are refused).
caf::expected<std::string>
extract_credential(const http_request& req, query_string& query, bool upgrade);

} // namespace herald::http
