#pragma once

// A trie of name patterns (nats sublist semantics) mapping each pattern to a
// set of values; match(name) returns every value whose pattern matches.
// Pure data structure: not thread-safe, callers serialize access (the
// registry actor owns one).
//
// Full contract and implementation: see the class below.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/subject.hpp"

namespace herald::runtime {

template <class T>
class subject_trie {
public:
  /// Adds `value` under `pattern`. Precondition: is_valid_pattern(pattern).
  /// Returns false if that exact (pattern, value) pair was already present.
  bool insert(std::string_view pattern, const T& value);

  /// Removes one (pattern, value) pair; prunes empty nodes. Returns false if
  /// it was not present.
  bool erase(std::string_view pattern, const T& value);

  /// Appends every value whose pattern matches `name` to `out`. A value
  /// registered under several matching patterns is appended once per
  /// pattern; callers that need a set dedupe.
  void match(std::string_view name, std::vector<T>& out) const;

  /// Number of (pattern, value) pairs.
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

private:
  struct node {
    std::map<std::string, std::unique_ptr<node>, std::less<>> literal;
    std::unique_ptr<node> star; // '*'
    std::vector<T> values;      // patterns ending here
    std::vector<T> tail_values; // patterns ending in '>' at this node
    bool prunable() const {
      return literal.empty() && !star && values.empty() && tail_values.empty();
    }
  };

  node root_;
  size_t size_ = 0;

  static std::vector<std::string_view> split(std::string_view s);
  bool erase_rec(node& n, const std::vector<std::string_view>& segs,
                 size_t i, const T& value);
  void match_rec(const node& n, const std::vector<std::string_view>& segs,
                 size_t i, std::vector<T>& out) const;
};

} // namespace herald::runtime

#include "runtime/subject_trie_impl.hpp"
