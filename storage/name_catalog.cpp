#include "storage/name_catalog.hpp"

#include <mutex>

#include "runtime/subject.hpp"

namespace herald::storage {

bool name_catalog::contains(std::string_view name) const {
  std::shared_lock lock{mtx_};
  return names_.find(name) != names_.end();
}

bool name_catalog::insert(std::string_view name) {
  std::unique_lock lock{mtx_};
  return names_.emplace(name).second;
}

void name_catalog::erase(const std::vector<std::string>& names) {
  std::unique_lock lock{mtx_};
  for (const auto& n : names)
    names_.erase(n);
}

size_t name_catalog::size() const {
  std::shared_lock lock{mtx_};
  return names_.size();
}

std::optional<std::vector<std::string>>
name_catalog::expand(std::string_view pattern, size_t max_names) const {
  auto prefix = pattern_literal_prefix(pattern);
  std::vector<std::string> out;
  std::shared_lock lock{mtx_};
  for (auto i = names_.lower_bound(prefix);
       i != names_.end() && std::string_view{*i}.starts_with(prefix); ++i) {
    if (!runtime::pattern_matches(pattern, *i))
      continue;
    if (out.size() == max_names)
      return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

std::string_view pattern_literal_prefix(std::string_view pattern) noexcept {
  size_t seg_start = 0;
  while (seg_start <= pattern.size()) {
    auto dot = pattern.find('.', seg_start);
    auto end = dot == std::string_view::npos ? pattern.size() : dot;
    auto seg = pattern.substr(seg_start, end - seg_start);
    if (seg == "*" || seg == ">")
      return pattern.substr(0, seg_start);
    if (dot == std::string_view::npos)
      return pattern; // a literal pattern
    seg_start = dot + 1;
  }
  return pattern;
}

} // namespace herald::storage
