#include "tools/http/http_util.hpp"

#include <algorithm>
#include <charconv>
#include <random>

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "runtime/text_util.hpp"

namespace herald::http {

namespace bhttp = boost::beast::http;

void set_default_headers(http_response& res) {
  namespace bhttp = boost::beast::http;
  if (res.find("X-Content-Type-Options") == res.end())
    res.set("X-Content-Type-Options", "nosniff");
  if (res.find(bhttp::field::cache_control) == res.end())
    res.set(bhttp::field::cache_control, "no-store");
}

http_response json_response(unsigned status, std::string body, unsigned version,
                            bool keep_alive) {
  http_response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::server, "herald");
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  auto n = rng();
  std::string out(16, '0');
  for (auto& c : out) {
    c = hex[n & 0xF];
    n >>= 4;
  }
  return out;
}

http_response internal_error_response(std::string_view detail, unsigned version,
                                      bool keep_alive) {
  auto id = new_request_id();
  spdlog::error("request {}: internal error: {}", id, detail);
  runtime::api_error err{runtime::errc::internal,
                         "internal error (request " + id + ")", ""};
  auto res = json_response(500, err.to_json(), version, keep_alive);
  res.set("X-Request-Id", id);
  return res;
}

http_response error_response(const runtime::api_error& err, unsigned version,
                             bool keep_alive) {
  if (err.code == runtime::errc::internal)
    return internal_error_response(
        err.field.empty() ? err.message
                          : err.message + " (field " + err.field + ")",
        version, keep_alive);
  return json_response(static_cast<unsigned>(err.status()), err.to_json(),
                       version, keep_alive);
}

http_response error_response(const caf::error& err, unsigned version,
                             bool keep_alive) {
  return error_response(runtime::describe(err), version, keep_alive);
}

http_response error_response(runtime::errc code, std::string message,
                             std::string field, unsigned version,
                             bool keep_alive) {
  runtime::api_error err{code, std::move(message), std::move(field)};
  return error_response(err, version, keep_alive);
}

const std::string* query_string::find(std::string_view name) const {
  auto i = params.find(name);
  return i == params.end() ? nullptr : &i->second;
}

caf::error parse_target(std::string_view target, std::string& path,
                        query_string& query) {
  auto qpos = target.find('?');
  path = std::string{target.substr(0, qpos)};
  query.params.clear();
  if (qpos == std::string_view::npos)
    return {};
  auto rest = target.substr(qpos + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{}
                                         : rest.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto raw_key = part.substr(0, eq);
    auto raw_val =
        eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    auto key = runtime::percent_decode(raw_key, true);
    if (!key || key->empty())
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "malformed query string",
                                     std::string{raw_key});
    auto val = runtime::percent_decode(raw_val, true);
    if (!val)
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "malformed percent-encoding", *key);
    if (!query.params.emplace(*key, std::move(*val)).second)
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "parameter given more than once", *key);
  }
  return {};
}

caf::error check_known_params(const query_string& q,
                              const std::vector<std::string_view>& allowed) {
  for (const auto& [key, value] : q.params)
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "unknown parameter '" + key + "'", key);
  return {};
}

std::optional<std::string> bearer_token(const http_request& req) {
  auto h = req.find(bhttp::field::authorization);
  if (h == req.end())
    return std::nullopt;
  std::string_view v{h->value().data(), h->value().size()};
  constexpr std::string_view scheme = "bearer ";
  if (v.size() <= scheme.size())
    return std::string{};
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != scheme[i])
      return std::string{};
  v.remove_prefix(scheme.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return std::string{v};
}

caf::expected<std::optional<uint64_t>>
parse_precondition(const http_request& req) {
  using runtime::errc;
  auto none = req.find(bhttp::field::if_none_match);
  if (none != req.end()) {
    if (none->value() != "*")
      return runtime::make_api_error(errc::invalid_parameter,
                                     "If-None-Match takes only *",
                                     "If-None-Match");
    return std::optional<uint64_t>{0};
  }
  auto m = req.find(bhttp::field::if_match);
  if (m == req.end())
    return std::optional<uint64_t>{};
  std::string_view v{m->value().data(), m->value().size()};
  if (v == "*")
    return std::optional<uint64_t>{any_version_precondition};
  if (v.starts_with("W/"))
    v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n == 0 ||
      n == any_version_precondition)
    return runtime::make_api_error(errc::invalid_parameter,
                                   "If-Match takes a version (an ETag) this "
                                   "node handed out",
                                   "If-Match");
  return std::optional<uint64_t>{n};
}

} // namespace herald::http
