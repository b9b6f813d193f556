#include "runtime/scope_path.hpp"

#include "runtime/event_codec.hpp"

namespace herald::runtime {

std::string_view normalize_scope_prefix(std::string_view scope) noexcept {
  while (!scope.empty() && scope.back() == '/')
    scope.remove_suffix(1);
  return scope;
}

bool is_child_scope(std::string_view parent, std::string_view child) noexcept {
  if (!is_valid_scope(child))
    return false;
  if (parent.empty())
    return child.find('/') == std::string_view::npos;
  return child.size() > parent.size() + 1 && child.starts_with(parent) &&
         child[parent.size()] == '/' &&
         child.find('/', parent.size() + 1) == std::string_view::npos;
}

} // namespace herald::runtime
