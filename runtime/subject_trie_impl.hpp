#pragma once

// Implementation of subject_trie<T>; included by runtime/subject_trie.hpp
// only. Each node is one segment position: `literal` children by segment
// text, one `star` child for `*`, values of patterns that end here, and
// `tail_values` of patterns whose next (last) segment is `>`.

#include <algorithm>

#include "runtime/subject_trie.hpp"

namespace herald::runtime {

template <class T>
std::vector<std::string_view> subject_trie<T>::split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

template <class T>
bool subject_trie<T>::insert(std::string_view pattern, const T& value) {
  if (!is_valid_pattern(pattern))
    return false;
  auto segs = split(pattern);
  node* n = &root_;
  bool tail = segs.back() == ">";
  size_t depth = tail ? segs.size() - 1 : segs.size();
  for (size_t i = 0; i < depth; ++i) {
    std::unique_ptr<node>* child;
    if (segs[i] == "*") {
      child = &n->star;
    } else {
      auto it = n->literal.find(segs[i]);
      if (it == n->literal.end())
        it = n->literal.emplace(std::string{segs[i]}, nullptr).first;
      child = &it->second;
    }
    if (!*child)
      *child = std::make_unique<node>();
    n = child->get();
  }
  auto& values = tail ? n->tail_values : n->values;
  if (std::find(values.begin(), values.end(), value) != values.end())
    return false;
  values.push_back(value);
  ++size_;
  return true;
}

template <class T>
bool subject_trie<T>::erase(std::string_view pattern, const T& value) {
  if (!is_valid_pattern(pattern))
    return false;
  if (!erase_rec(root_, split(pattern), 0, value))
    return false;
  --size_;
  return true;
}

template <class T>
bool subject_trie<T>::erase_rec(node& n,
                                const std::vector<std::string_view>& segs,
                                size_t i, const T& value) {
  auto remove_from = [&](std::vector<T>& values) {
    auto it = std::find(values.begin(), values.end(), value);
    if (it == values.end())
      return false;
    values.erase(it);
    return true;
  };
  if (i == segs.size())
    return remove_from(n.values);
  if (i + 1 == segs.size() && segs[i] == ">")
    return remove_from(n.tail_values);
  if (segs[i] == "*") {
    if (!n.star || !erase_rec(*n.star, segs, i + 1, value))
      return false;
    if (n.star->prunable())
      n.star.reset();
    return true;
  }
  auto it = n.literal.find(segs[i]);
  if (it == n.literal.end() || !erase_rec(*it->second, segs, i + 1, value))
    return false;
  if (it->second->prunable())
    n.literal.erase(it);
  return true;
}

template <class T>
void subject_trie<T>::match(std::string_view name, std::vector<T>& out) const {
  if (!is_valid_name(name))
    return;
  match_rec(root_, split(name), 0, out);
}

template <class T>
void subject_trie<T>::match_rec(const node& n,
                                const std::vector<std::string_view>& segs,
                                size_t i, std::vector<T>& out) const {
  if (i == segs.size()) {
    out.insert(out.end(), n.values.begin(), n.values.end());
    return;
  }
  // At least one segment remains, so every `>` pattern ending here matches.
  out.insert(out.end(), n.tail_values.begin(), n.tail_values.end());
  if (auto it = n.literal.find(segs[i]); it != n.literal.end())
    match_rec(*it->second, segs, i + 1, out);
  if (n.star)
    match_rec(*n.star, segs, i + 1, out);
}

template <class T>
size_t subject_trie<T>::count_nodes(const node& n) noexcept {
  size_t count = 0;
  for (const auto& [segment, child] : n.literal)
    count += 1 + count_nodes(*child);
  if (n.star)
    count += 1 + count_nodes(*n.star);
  return count;
}

} // namespace herald::runtime
