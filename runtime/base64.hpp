#pragma once

// Standard base64 (RFC 4648 §4) for `data_base64` of the native form and of
// CloudEvents. Pure functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace herald::runtime {

/// Encodes bytes with the standard alphabet and '=' padding.
std::string encode_base64(std::string_view bytes);

/// Decodes the standard alphabet; '=' padding is optional but, when present,
/// must complete the last quantum. Whitespace, the URL-safe alphabet and a
/// dangling single character are rejected (nullopt). Never throws except
/// bad_alloc.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace herald::runtime
