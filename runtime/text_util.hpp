#pragma once

// Small text helpers shared by the codecs, the filter parser and the HTTP
// layer. Pure functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace herald::runtime {

/// `base` + "/" + `token` with RFC 6901 escaping of the token (`~` → `~0`,
/// `/` → `~1`): the JSON Pointer of a member of the value at `base`.
std::string json_pointer_append(std::string_view base, std::string_view token);

/// RFC 3986 percent-encoding of every byte but the unreserved ones
/// (A-Z a-z 0-9 - . _ ~): a path segment or a query parameter.
std::string percent_encode(std::string_view in);

/// Decodes %XX escapes (and '+' as a space when `plus_as_space`, as in
/// query strings). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_as_space);

} // namespace herald::runtime
