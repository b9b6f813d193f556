#pragma once

// Authentication primitives (issue 4): password hashes, random and service
// tokens, the HS256 signing key, JWT access tokens and failed-login rate
// limiting. Plain C++, no actors; libsodium and libjwt stay inside
// auth_*.cpp. Everything here is thread-safe; nothing throws except
// std::bad_alloc.
//
// Token shapes: a JWT from jwt_codec always holds exactly two '.'; a service
// token (random_token) is base64url and never holds one, so a caller can
// tell the two apart by looking for a '.'.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace herald::runtime::auth {

// -- passwords ----------------------------------------------------------------

/// Longest password hash_password accepts, in bytes.
inline constexpr size_t max_password_size = 1024;

/// argon2id via libsodium crypto_pwhash_str, opslimit 2, memlimit 19 MiB
/// (OWASP minimum); sodium_init() once (thread-safe). Errors:
/// errc::invalid_field "password must be 1-1024 bytes" field "/password" for
/// an empty password or one longer than 1024 bytes; errc::internal when
/// libsodium fails (out of memory).
caf::expected<std::string> hash_password(std::string_view password);

/// True iff `hash` is a libsodium argon2id/argon2i string and `password`
/// matches. False (never throws) for a malformed hash, and for one whose
/// cost is beyond is_password_hash's bounds (m > 1 GiB or t > 32), so that a
/// hostile users file cannot make a login allocate without limit.
bool verify_password(std::string_view hash, std::string_view password);

/// True iff `hash` looks like an argon2id string accepted by verify_password
/// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash", as libsodium's decoder
/// parses it, m <= 1048576 KiB, t <= 32). For users files that carry a
/// precomputed hash.
bool is_password_hash(std::string_view hash);

// -- tokens and secrets -------------------------------------------------------

/// `bytes` random bytes (randombytes_buf) as base64url without padding.
std::string random_token(size_t bytes = 32);

/// Lower-case hex BLAKE2b-256 (crypto_generichash) of `token`: what is stored
/// for service tokens (they are high-entropy, a fast hash is right there).
std::string token_digest(std::string_view token);

/// sodium_memcmp-based equality; false when sizes differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// Writes `content` to `file` atomically: a temporary file next to it
/// created with mode 0600 (open O_CREAT|O_EXCL|O_WRONLY, then fchmod so the
/// umask cannot change it), write, fsync, rename over `file`, fsync the
/// directory. Error: errc::internal with the path and strerror.
caf::error write_secret_file(const std::filesystem::path& file,
                             std::string_view content);

/// Smallest signing key load_or_create_key accepts, in bytes.
inline constexpr size_t min_key_size = 32;

/// The HS256 signing key: reads `file` if it exists (must be a regular file
/// holding >= 32 bytes, at most 64 KiB; else errc::internal naming the
/// problem; if its mode allows group/other access, chmod it to 0600), else
/// creates it with 32 random bytes via write_secret_file. Returns the raw key
/// bytes (the whole file, a trailing newline included).
caf::expected<std::string>
load_or_create_key(const std::filesystem::path& file);

// -- JWT access tokens --------------------------------------------------------

/// Largest token jwt_codec::verify looks at, in bytes.
inline constexpr size_t max_token_size = 8192;

/// What a verified access token says.
struct jwt_claims {
  std::string subject;    ///< sub: the user name
  int64_t issued_at = 0;  ///< iat, Unix seconds
  int64_t expires_at = 0; ///< exp, Unix seconds
  std::string id;         ///< jti (random, 16 bytes base64url)
};

/// Issues and verifies HS256 access tokens with one key. Immutable after
/// construction, so one instance may be shared across threads.
class jwt_codec {
public:
  /// Raw HS256 key (load_or_create_key). An empty key is a programming
  /// error: issue() then returns "" and verify() rejects every token.
  explicit jwt_codec(std::string key);

  /// HS256 token with iss "herald", sub, iat = now_s, exp = now_s + ttl_s,
  /// jti. Returns "" (which verify rejects) for an empty subject or one
  /// holding a NUL, when now_s + ttl_s overflows, and if libjwt fails (out of
  /// memory, empty key).
  std::string issue(const std::string& subject, int64_t now_s,
                    int64_t ttl_s) const;

  /// Verifies the signature (HS256 only), exp > now_s, iss == "herald", a
  /// non-empty sub and integer iat/exp. Never throws (but bad_alloc), never
  /// crashes on any input. Errors, all errc::unauthorized with field "", in
  /// the order they are checked:
  /// - "malformed token": over 8192 bytes, a character outside base64url and
  ///   '.', not three parts, a part that is not canonical base64url, a header
  ///   or payload that is not a JSON object, alg missing or not a string, typ
  ///   other than "JWT", crit;
  /// - "unsupported token algorithm": header alg is not "HS256" (none, HS512,
  ///   RS256, ...), checked before the signature is looked at;
  /// - "malformed token" again for the claims: iss not "herald", sub missing
  ///   or empty, iat/exp missing or not integers, jti not a string;
  /// - "bad token signature": HMAC mismatch (compared in constant time here;
  ///   then libjwt's own jwt_decode must agree and read the same sub and exp,
  ///   or the token is "malformed token");
  /// - "token expired": now_s >= exp.
  caf::expected<jwt_claims> verify(std::string_view token, int64_t now_s) const;

private:
  std::string key_;
};

// -- failed-login rate limiting -----------------------------------------------

/// Failed-login rate limiting per (user, ip) pair and per ip, over a sliding
/// window. Thread-safe (one mutex), memory bounded: entries whose failures
/// have all left the window are dropped on the next record_failure, and at
/// most `max_entries` pairs and ips are kept together; when full, the least
/// recently failed go first (so a flood of distinct names from many ips can
/// wash out older blocks: the bound wins).
class login_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// Limits; a zero max_failures_* disables that limit.
  struct options {
    size_t max_failures_per_user_ip = 5; ///< within `window`
    size_t max_failures_per_ip = 20;     ///< within `window`, any user names
    std::chrono::seconds window{60};
    size_t max_entries =
        100000; ///< beyond this the oldest/expired entries are dropped
  };

  /// Default options.
  login_limiter();
  /// Custom limits.
  explicit login_limiter(options opts);
  ~login_limiter();
  login_limiter(const login_limiter&) = delete;
  login_limiter& operator=(const login_limiter&) = delete;

  /// When the caller is over a limit: how long until it may try again
  /// (>= 1 s, rounded up). nullopt when allowed.
  std::optional<std::chrono::seconds> blocked(std::string_view user,
                                              std::string_view ip,
                                              clock::time_point now) const;

  /// Counts one failed login of `user` from `ip` at `now`.
  void record_failure(std::string_view user, std::string_view ip,
                      clock::time_point now);

  /// A successful login clears the (user, ip) entry (not the ip total).
  void record_success(std::string_view user, std::string_view ip,
                      clock::time_point now);

  /// Pairs plus ips currently tracked; for tests (memory bound).
  size_t entries() const;

private:
  struct state;
  options opts_;
  std::unique_ptr<state> state_;
};

} // namespace herald::runtime::auth
