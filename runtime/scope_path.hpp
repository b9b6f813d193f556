#pragma once

// Relations between scopes (DESIGN §3's '/'-separated hierarchy), shared by
// the scope tree's store walk and its request parser.

#include <string_view>

namespace herald::runtime {

/// `scope` without trailing '/' ("a/b/" -> "a/b", "/" -> "").
std::string_view trim_scope_slashes(std::string_view scope) noexcept;

/// Is `child` a valid scope exactly one segment below `parent` (a valid
/// scope without trailing '/'; "" for the roots)?
bool is_child_scope(std::string_view parent, std::string_view child) noexcept;

} // namespace herald::runtime
