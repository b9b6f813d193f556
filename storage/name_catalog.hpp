#pragma once

// The in-memory set of every distinct event name the store holds (the
// `names` column family, loaded at open), so a wildcard name pattern can be
// expanded into the literal names whose index ranges a query merges.
//
// Thread-safety: all members may be called concurrently (a shared mutex
// guards the set). Names are only ever added (and removed again only to roll
// back a failed write), so an expansion can at worst include a name that has
// no entries in the reader's snapshot, which is harmless.

#include <cstddef>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace herald::storage {

class name_catalog {
public:
  bool contains(std::string_view name) const;

  /// Adds a name; true iff it was not there yet.
  bool insert(std::string_view name);

  /// Removes names (rollback of a failed write that inserted them).
  void erase(const std::vector<std::string>& names);

  /// The names matching a (valid) pattern, sorted; nullopt when more than
  /// `max_names` match (the caller then treats the pattern as a filter).
  std::optional<std::vector<std::string>> expand(std::string_view pattern,
                                                 size_t max_names) const;

  size_t size() const;

private:
  mutable std::shared_mutex mtx_;
  std::set<std::string, std::less<>> names_;
};

/// The literal part of a pattern before its first wildcard segment, with the
/// trailing '.' (`iam.*.created` -> `iam.`; `*.x` -> ``); every matching name
/// starts with it.
std::string_view pattern_literal_prefix(std::string_view pattern) noexcept;

} // namespace herald::storage
