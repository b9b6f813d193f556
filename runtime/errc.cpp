#include "runtime/errc.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

namespace herald::runtime {

std::string_view to_string(errc code) noexcept {
  switch (code) {
  case errc::none:
    return "none";
  case errc::invalid_json:
    return "invalid_json";
  case errc::invalid_name:
    return "invalid_name";
  case errc::invalid_field:
    return "invalid_field";
  case errc::unknown_field:
    return "unknown_field";
  case errc::missing_field:
    return "missing_field";
  case errc::forbidden_field:
    return "forbidden_field";
  case errc::invalid_time:
    return "invalid_time";
  case errc::invalid_scope:
    return "invalid_scope";
  case errc::invalid_id:
    return "invalid_id";
  case errc::invalid_pattern:
    return "invalid_pattern";
  case errc::invalid_filter:
    return "invalid_filter";
  case errc::invalid_parameter:
    return "invalid_parameter";
  case errc::invalid_cursor:
    return "invalid_cursor";
  case errc::too_large:
    return "too_large";
  case errc::not_found:
    return "not_found";
  case errc::method_not_allowed:
    return "method_not_allowed";
  case errc::source_disabled:
    return "source_disabled";
  case errc::unauthorized:
    return "unauthorized";
  case errc::forbidden:
    return "forbidden";
  case errc::conflict:
    return "conflict";
  case errc::unavailable:
    return "unavailable";
  case errc::too_many_requests:
    return "too_many_requests";
  case errc::internal:
    return "internal";
  }
  return "internal";
}

int http_status(errc code) noexcept {
  switch (code) {
  case errc::none:
    return 200;
  case errc::not_found:
    return 404;
  case errc::method_not_allowed:
    return 405;
  case errc::source_disabled:
  case errc::conflict:
    return 409;
  case errc::too_large:
    return 413;
  case errc::unauthorized:
    return 401;
  case errc::forbidden:
    return 403;
  case errc::too_many_requests:
    return 429;
  case errc::unavailable:
    return 503;
  case errc::internal:
    return 500;
  default:
    return 400;
  }
}

caf::error make_api_error(errc code, std::string message, std::string field) {
  return caf::make_error(code, std::move(message), std::move(field));
}

api_error describe(const caf::error& err) {
  api_error out;
  if (!err) {
    out.code = errc::none;
    return out;
  }
  if (err.category() == caf::atom("herald")) {
    out.code = static_cast<errc>(err.code());
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string, std::string>()) {
      out.message = ctx.get_as<std::string>(0);
      out.field = ctx.get_as<std::string>(1);
    } else if (ctx.match_elements<std::string>()) {
      out.message = ctx.get_as<std::string>(0);
    }
    if (out.message.empty())
      out.message = std::string{to_string(out.code)};
    return out;
  }
  out.code = errc::internal;
  out.message = caf::to_string(err);
  return out;
}

// Never throws on the text it carries (see the comment at the dump).
std::string api_error::to_json() const {
  nlohmann::ordered_json body;
  body["code"] = std::string{to_string(code)};
  body["message"] = message;
  if (!field.empty())
    body["field"] = field;
  nlohmann::ordered_json out;
  out["error"] = std::move(body);
  // Messages and fields quote client bytes (a parameter name, a JSON
  // parser's "last read"): bytes that are not UTF-8 become U+FFFD instead
  // of an exception, so an error body always serialises.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace herald::runtime
