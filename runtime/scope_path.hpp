#pragma once

// Relations between scopes (DESIGN §3's '/'-separated hierarchy), shared by
// the store (queries, the scope tree's walk) and the request parsers.

#include <string_view>

namespace herald::runtime {

/// A scope as the index holds it: trailing '/' removed ("a/b/" -> "a/b",
/// "/" -> ""). Empty means "no scope constraint" (or: the roots).
std::string_view normalize_scope_prefix(std::string_view scope) noexcept;

/// Is `child` a valid scope exactly one segment below `parent` (a valid
/// scope without trailing '/'; "" for the roots)?
bool is_child_scope(std::string_view parent, std::string_view child) noexcept;

} // namespace herald::runtime
