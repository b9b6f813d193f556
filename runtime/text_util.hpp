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

/// Decodes %XX escapes (and '+' as a space when `plus_as_space`, as in
/// query strings). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_as_space);

} // namespace herald::runtime
