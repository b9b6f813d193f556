// jwt_codec (auth.hpp): HS256 access tokens. libjwt 1.10 encodes, and
// decodes as a second opinion; everything an attacker controls is checked
// here first (shape, base64url, JSON, header alg, claims) and the HMAC is
// compared in constant time with libsodium, because libjwt 1.10 compares
// signatures with strcmp and trusts the header's alg.
#include "runtime/auth.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "runtime/errc.hpp"

namespace herald::runtime::auth {

namespace {

using nlohmann::json;

static_assert(sizeof(long) >= sizeof(int64_t),
              "jwt_add_grant_int takes a long");

constexpr const char* issuer = "herald";

struct jwt_deleter {
  void operator()(jwt_t* p) const { jwt_free(p); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

caf::error malformed() {
  return make_api_error(errc::unauthorized, "malformed token");
}
caf::error unsupported() {
  return make_api_error(errc::unauthorized, "unsupported token algorithm");
}
caf::error bad_signature() {
  return make_api_error(errc::unauthorized, "bad token signature");
}
caf::error expired() {
  return make_api_error(errc::unauthorized, "token expired");
}

bool is_base64url_or_dot(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// Strict base64url without padding: libsodium rejects a dangling character
// and non-zero trailing bits, so every byte string has one encoding.
std::optional<std::string> decode_base64url(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(), nullptr, &len,
                        nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

// A JSON object, or nullopt (never throws but bad_alloc).
std::optional<json> parse_object(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::nullopt;
  return j;
}

const json* member(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// An integer claim that fits int64_t.
std::optional<int64_t> int_claim(const json& obj, const char* name) {
  const json* v = member(obj, name);
  if (v == nullptr || !v->is_number_integer())
    return std::nullopt;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  return v->get<int64_t>();
}

std::optional<jwt_claims> read_claims(const json& payload) {
  const json* iss = member(payload, "iss");
  if (iss == nullptr || !iss->is_string() ||
      iss->get_ref<const std::string&>() != issuer)
    return std::nullopt;
  const json* sub = member(payload, "sub");
  if (sub == nullptr || !sub->is_string() ||
      sub->get_ref<const std::string&>().empty())
    return std::nullopt;
  auto iat = int_claim(payload, "iat");
  auto exp = int_claim(payload, "exp");
  if (!iat || !exp)
    return std::nullopt;
  jwt_claims out;
  if (const json* jti = member(payload, "jti")) {
    if (!jti->is_string())
      return std::nullopt;
    out.id = jti->get<std::string>();
  }
  out.subject = sub->get<std::string>();
  out.issued_at = *iat;
  out.expires_at = *exp;
  return out;
}

// HMAC-SHA256 of `data` under `key` (any key length).
void hmac_sha256(std::string_view key, std::string_view data,
                 unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(
      &st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

bool usable_key(const std::string& key) {
  return !key.empty() && key.size() <= static_cast<size_t>(INT_MAX);
}

} // namespace

jwt_codec::jwt_codec(std::string key) : key_{std::move(key)} {
  // Idempotent and thread-safe; picks libsodium's fastest implementations.
  static const bool sodium_ok = sodium_init() >= 0;
  (void)sodium_ok;
}

std::string jwt_codec::issue(const std::string& subject, int64_t now_s,
                             int64_t ttl_s) const {
  int64_t exp = 0;
  if (!usable_key(key_) || subject.empty() ||
      subject.find('\0') != std::string::npos ||
      __builtin_add_overflow(now_s, ttl_s, &exp))
    return {};
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    return {};
  jwt_ptr token{raw};
  const std::string jti = random_token(16);
  if (jwt_set_alg(raw, JWT_ALG_HS256,
                  reinterpret_cast<const unsigned char*>(key_.data()),
                  static_cast<int>(key_.size())) != 0 ||
      jwt_add_grant(raw, "iss", issuer) != 0 ||
      jwt_add_grant(raw, "sub", subject.c_str()) != 0 ||
      jwt_add_grant_int(raw, "iat", static_cast<long>(now_s)) != 0 ||
      jwt_add_grant_int(raw, "exp", static_cast<long>(exp)) != 0 ||
      jwt_add_grant(raw, "jti", jti.c_str()) != 0)
    return {};
  char* encoded = jwt_encode_str(raw);
  if (encoded == nullptr)
    return {};
  std::string out{encoded};
  std::free(encoded); // libjwt 1.10 has no jwt_free_str; it uses malloc
  return out;
}

caf::expected<jwt_claims> jwt_codec::verify(std::string_view token,
                                            int64_t now_s) const {
  // Shape: three base64url parts, nothing else, bounded.
  if (token.empty() || token.size() > max_token_size)
    return malformed();
  for (char c : token)
    if (!is_base64url_or_dot(c))
      return malformed();
  const size_t dot1 = token.find('.');
  const size_t dot2 =
      dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos)
    return malformed();
  const auto header_text = decode_base64url(token.substr(0, dot1));
  const auto payload_text =
      decode_base64url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = decode_base64url(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature)
    return malformed();

  // Header: alg decides before anything is verified.
  const auto header = parse_object(*header_text);
  if (!header)
    return malformed();
  const json* alg = member(*header, "alg");
  if (alg == nullptr || !alg->is_string())
    return malformed();
  if (alg->get_ref<const std::string&>() != "HS256")
    return unsupported();
  const json* typ = member(*header, "typ");
  if (typ != nullptr &&
      (!typ->is_string() || typ->get_ref<const std::string&>() != "JWT"))
    return malformed();
  if (member(*header, "crit") != nullptr)
    return malformed(); // no extensions are understood here

  // Claims (still unauthenticated, so only their shape matters yet).
  const auto payload = parse_object(*payload_text);
  if (!payload)
    return malformed();
  auto claims = read_claims(*payload);
  if (!claims)
    return malformed();

  // Signature: constant-time HMAC check, then libjwt must agree.
  if (!usable_key(key_) || signature->size() != crypto_auth_hmacsha256_BYTES)
    return bad_signature();
  unsigned char expected_mac[crypto_auth_hmacsha256_BYTES];
  hmac_sha256(key_, token.substr(0, dot2), expected_mac);
  if (sodium_memcmp(expected_mac, signature->data(), sizeof expected_mac) != 0)
    return bad_signature();
  const std::string token_z{token}; // libjwt wants a C string
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, token_z.c_str(),
                            reinterpret_cast<const unsigned char*>(key_.data()),
                            static_cast<int>(key_.size()));
  jwt_ptr decoded{raw};
  if (rc != 0 || !decoded)
    return malformed(); // authentic yet unreadable to libjwt: not ours
  if (jwt_get_alg(decoded.get()) != JWT_ALG_HS256)
    return unsupported();
  const char* libjwt_sub = jwt_get_grant(decoded.get(), "sub");
  errno = 0;
  const long libjwt_exp = jwt_get_grant_int(decoded.get(), "exp");
  if (libjwt_sub == nullptr || claims->subject != libjwt_sub || errno != 0 ||
      libjwt_exp != claims->expires_at)
    return malformed(); // the two JSON parsers disagree: refuse

  if (now_s >= claims->expires_at)
    return expired();
  return std::move(*claims);
}

} // namespace herald::runtime::auth
