#pragma once

// A trie of name patterns (nats sublist semantics) mapping each pattern to a
// set of values; match(name) returns every value whose pattern matches.
// Pure data structure: not thread-safe, callers serialize access (the
// registry actor owns one). Move-only. Recursion depth is bounded by the
// number of segments (at most 128 in a 256-byte name).
//
// Contract: see the class below; implementation in subject_trie_impl.hpp.

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
  /// Adds `value` under `pattern`. Precondition: is_valid_pattern(pattern)
  /// (callers validate with validate_pattern first to report why); an invalid
  /// pattern is not inserted and yields false. Returns false if that exact
  /// (pattern, value) pair was already present. `T` needs `operator==`.
  bool insert(std::string_view pattern, const T& value);

  /// Removes one (pattern, value) pair; prunes nodes left without values or
  /// children. Returns false if it was not present.
  bool erase(std::string_view pattern, const T& value);

  /// Appends every value whose pattern matches `name` to `out`, in no
  /// particular order. A value registered under several matching patterns is
  /// appended once per pattern; callers that need a set dedupe. A name that
  /// is not valid (is_valid_name) matches nothing, not even `>`.
  void match(std::string_view name, std::vector<T>& out) const;

  /// Number of trie nodes below the root (0 when empty): lets tests check
  /// that erase prunes.
  size_t node_count() const noexcept { return count_nodes(root_); }

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
  bool erase_rec(node& n, const std::vector<std::string_view>& segs, size_t i,
                 const T& value);
  void match_rec(const node& n, const std::vector<std::string_view>& segs,
                 size_t i, std::vector<T>& out) const;
  static size_t count_nodes(const node& n) noexcept;
};

} // namespace herald::runtime

#include "runtime/subject_trie_impl.hpp"
