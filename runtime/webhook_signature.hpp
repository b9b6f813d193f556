#pragma once

// Standard Webhooks signatures (https://www.standardwebhooks.com, DESIGN
// §4): a secret is "whsec_" + base64 of 24 random bytes; a signature is
// "v1," + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"))
// where key is the decoded secret. HMAC by libsodium; thread-safe. A
// process where libsodium cannot initialise aborts on first use (there is
// no safe way to make a secret without its random source).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::runtime {

/// A new random secret, "whsec_…".
std::string make_webhook_secret();

/// The key bytes of "whsec_<base64>" (a bare base64 string is accepted
/// too); nullopt when it does not decode or is empty.
std::optional<std::string> webhook_secret_key(std::string_view secret);

/// HMAC-SHA256 of `message` under `key` (32 raw bytes).
std::string hmac_sha256(std::string_view key, std::string_view message);

/// "v1," + base64 HMAC-SHA256 of "id.timestamp.body" under `key`.
std::string webhook_signature(std::string_view key, std::string_view id,
                              int64_t timestamp_s, std::string_view body);

} // namespace herald::runtime
