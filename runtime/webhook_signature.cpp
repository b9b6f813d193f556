#include "runtime/webhook_signature.hpp"

#include <cstdlib>

#include <sodium.h>

#include "runtime/base64.hpp"

namespace herald::runtime {

namespace {

constexpr std::string_view secret_prefix = "whsec_";
constexpr size_t secret_bytes = 24;

// sodium_init() is thread-safe and idempotent (see auth.cpp). Without it
// randombytes_buf could not be trusted, so a failure is fatal: a node that
// cannot make secrets must not make predictable ones.
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    std::abort();
}

} // namespace

std::string make_webhook_secret() {
  ensure_sodium();
  std::string raw(secret_bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  auto out = std::string{secret_prefix} + encode_base64(raw);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::optional<std::string> webhook_secret_key(std::string_view secret) {
  if (secret.substr(0, secret_prefix.size()) == secret_prefix)
    secret.remove_prefix(secret_prefix.size());
  auto key = decode_base64(secret);
  if (!key || key->empty())
    return std::nullopt;
  return key;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  ensure_sodium();
  // The streaming API takes a key of any length (HMAC hashes a key longer
  // than the block first); crypto_auth_hmacsha256() wants exactly 32 bytes.
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(
      &st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char*>(message.data()),
      message.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st,
                               reinterpret_cast<unsigned char*>(out.data()));
  sodium_memzero(&st, sizeof st);
  return out;
}

std::string webhook_signature(std::string_view key, std::string_view id,
                              int64_t timestamp_s, std::string_view body) {
  std::string message;
  auto ts = std::to_string(timestamp_s);
  message.reserve(id.size() + ts.size() + body.size() + 2);
  message += id;
  message += '.';
  message += ts;
  message += '.';
  message += body;
  return "v1," + encode_base64(hmac_sha256(key, message));
}

} // namespace herald::runtime
