#include "tools/http/credentials.hpp"

#include "runtime/errc.hpp"

namespace herald::http {

caf::expected<std::string>
extract_credential(const http_request& req, query_string& query, bool upgrade) {
  std::optional<std::string> param;
  if (upgrade) {
    if (auto i = query.params.find(access_token_param);
        i != query.params.end()) {
      param = std::move(i->second);
      query.params.erase(i);
    }
  }
  if (auto bearer = bearer_token(req)) {
    if (bearer->empty())
      return runtime::make_api_error(runtime::errc::unauthorized,
                                     "Authorization must be 'Bearer <token>'");
    return std::move(*bearer);
  }
  return param ? std::move(*param) : std::string{};
}

} // namespace herald::http
