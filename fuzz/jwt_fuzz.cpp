// Fuzz target for access tokens: the input is a bearer token verified by a
// jwt_codec with a fixed key at a fixed time. It must never crash; an error
// must be errc::unauthorized with no field and one of the four documented
// messages; an accepted token must satisfy every rule verify promises (and
// so, in practice, be one of the corpus's valid tokens: forging one means
// breaking HMAC-SHA256). The input also goes through is_password_hash and the
// cheap helpers, which take the same attacker-controlled text.
//
// The seed corpus (fuzz/corpus/jwt/) was built by hand (HMAC-SHA256 with
// fuzz_key, times around fuzz_now): valid tokens, expired ones, alg none,
// HS512/RS256 headers, another key's, tampered, claims missing or mistyped,
// garbage, empty, "..", oversized base64, and an argon2id hash string.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/error_check.hpp"
#include "runtime/auth.hpp"
#include "runtime/errc.hpp"

namespace {

namespace auth = herald::runtime::auth;

constexpr std::string_view fuzz_key = "herald-fuzz-key-0123456789abcdef"; // 32
constexpr int64_t fuzz_now = 1700000000;

void check(bool ok) {
  if (!ok)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auth::jwt_codec codec{std::string{fuzz_key}};
  const std::string_view text{reinterpret_cast<const char*>(data), size};

  auto claims = codec.verify(text, fuzz_now);
  if (claims) {
    check(size <= auth::max_token_size);
    check(!claims->subject.empty());
    check(claims->expires_at > fuzz_now);
    size_t dots = 0;
    for (char c : text)
      dots += c == '.';
    check(dots == 2);
    // Still valid just before exp, expired at it.
    check(static_cast<bool>(codec.verify(text, claims->expires_at - 1)));
    auto at_exp = codec.verify(text, claims->expires_at);
    check(!at_exp &&
          herald::runtime::describe(at_exp.error()).message == "token expired");
  } else {
    herald::fuzz::check_error_body(claims.error(), "jwt_fuzz");
    auto err = herald::runtime::describe(claims.error());
    check(err.code == herald::runtime::errc::unauthorized);
    check(err.field.empty());
    check(err.message == "malformed token" ||
          err.message == "unsupported token algorithm" ||
          err.message == "bad token signature" ||
          err.message == "token expired");
  }

  // Users files carry precomputed hashes: the check must hold on any text.
  // (verify_password would run argon2 on every hash-shaped input; the fast
  // prefilter it shares with is_password_hash is what is exercised here.)
  (void)auth::is_password_hash(text);
  check(auth::token_digest(text).size() == 64);
  check(auth::constant_time_equal(text, text));
  return 0;
}
