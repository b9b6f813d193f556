#include "tools/api/definition_helpers.hpp"

#include <cctype>

namespace herald::api {

bool definition_id_ok(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..")
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-')
      return false;
  return true;
}

std::optional<std::string> definition_id(http::request_context& ctx,
                                         std::string_view kind,
                                         runtime::errc code,
                                         const http::reply_fn& reply) {
  auto id = ctx.params.get("id");
  if (id && definition_id_ok(*id))
    return std::string{*id};
  auto message = code == runtime::errc::invalid_id
                     ? "a " + std::string{kind} +
                           " id is 1-128 characters of [A-Za-z0-9._-]"
                     : "no such " + std::string{kind};
  reply(http::error_response(code, std::move(message), "id", ctx.version(),
                             ctx.keep_alive()));
  return std::nullopt;
}

std::optional<nlohmann::json> json_body(const http::http_request& req,
                                        const http::reply_fn& reply,
                                        nlohmann::json empty_as) {
  if (req.body().empty())
    return empty_as;
  auto doc = nlohmann::json::parse(req.body(), nullptr, false);
  if (doc.is_discarded()) {
    reply(http::error_response(runtime::errc::invalid_json,
                               "the body is not valid JSON", "", req.version(),
                               req.keep_alive()));
    return std::nullopt;
  }
  return doc;
}

} // namespace herald::api
