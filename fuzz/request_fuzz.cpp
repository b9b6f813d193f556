// Fuzz target for what the node reads from request headers and the admin
// endpoints' small parsers (tools/http/http_util.hpp,
// tools/api/auth_service.hpp):
//  - bearer_token: the Authorization header, before any credential check;
//  - parse_precondition: If-Match / If-None-Match of the config service;
//  - auth_service::check_user_name / check_roles / check_groups: user
//    names from paths and the roles/groups members of user and token bodies
//    (after nlohmann's parse, as users_api and tokens_api do).
// The input is split at the first two NUL bytes into three parts (missing
// parts are empty): an Authorization value, an If-Match value, and a JSON
// text that is also used as a user name.
// Properties: nothing crashes; no error is errc::internal; a bearer token
// that comes back has no surrounding blanks; a precondition that parses is
// one of the documented forms.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/http/http_util.hpp"

namespace {

namespace hd = herald::api;
namespace hh = herald::http;
namespace rt = herald::runtime;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "request_fuzz: %s\n", what);
  std::abort();
}

void no_internal(const caf::error& err) {
  herald::fuzz::check_error_body(err, "request_fuzz");
  if (err && rt::describe(err).code == rt::errc::internal)
    fail("internal error");
}

/// Header values Beast would accept: no CR, LF or NUL.
std::string header_value(std::string_view in) {
  std::string out;
  for (char c : in)
    if (c != '\r' && c != '\n' && c != '\0')
      out += c;
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto cut = [&in]() {
    auto at = in.find('\0');
    auto part = in.substr(0, at);
    in = at == std::string_view::npos ? std::string_view{} : in.substr(at + 1);
    return part;
  };
  auto authorization = cut();
  auto if_match = cut();
  auto rest = in;

  hh::http_request req;
  req.set(boost::beast::http::field::authorization,
          header_value(authorization));
  if (auto token = hh::bearer_token(req)) {
    if (!token->empty() && (token->front() == ' ' || token->back() == ' ' ||
                            token->front() == '\t' || token->back() == '\t'))
      fail("bearer token with surrounding blanks");
  } else {
    fail("an Authorization header read as absent");
  }

  for (auto field : {boost::beast::http::field::if_match,
                     boost::beast::http::field::if_none_match}) {
    hh::http_request pre;
    pre.set(field, header_value(if_match));
    auto v = hh::parse_precondition(pre);
    if (!v) {
      no_internal(v.error());
    } else if (!v->has_value()) {
      fail("a precondition header read as absent");
    } else if (field == boost::beast::http::field::if_none_match && **v != 0) {
      fail("If-None-Match other than * accepted");
    } else if (field == boost::beast::http::field::if_match && **v == 0) {
      fail("If-Match version 0 accepted");
    }
  }

  no_internal(hd::auth_service::check_user_name(rest));
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (!j.is_discarded()) {
    no_internal(hd::auth_service::check_roles(j, "/roles"));
    no_internal(hd::auth_service::check_groups(j, "/groups"));
  }
  return 0;
}
