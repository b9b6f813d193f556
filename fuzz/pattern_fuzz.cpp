// Fuzz target for names and patterns: the input is "<pattern>\n<name>".
// Checks that validate_pattern, is_valid_pattern, pattern_matches and
// subject_trie agree, and that nothing crashes. A disagreement aborts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "fuzz/error_check.hpp"
#include "runtime/subject.hpp"
#include "runtime/subject_trie.hpp"

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald::runtime;
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto nl = input.find('\n');
  auto pattern = input.substr(0, nl);
  auto name = nl == std::string_view::npos ? pattern : input.substr(nl + 1);

  bool valid = is_valid_pattern(pattern);
  auto pattern_err = validate_pattern(pattern, "pattern");
  check(valid == !pattern_err);
  herald::fuzz::check_error_body(pattern_err, "pattern_fuzz");
  bool matched = pattern_matches(pattern, name);
  // Only valid patterns and valid names ever match.
  check(!matched || (valid && is_valid_name(name)));
  // A valid name is a valid literal pattern that matches exactly itself.
  if (is_valid_name(name)) {
    check(is_valid_pattern(name) && is_literal_pattern(name));
    check(pattern_matches(name, name));
  }
  if (valid && is_literal_pattern(pattern))
    check(matched == (pattern == name));

  subject_trie<int> trie;
  check(trie.insert(pattern, 1) == valid);
  check(!trie.insert(pattern, 1));
  if (is_valid_name(name))
    trie.insert(name, 2);
  std::vector<int> out;
  trie.match(name, out);
  size_t ones = 0;
  for (int v : out)
    ones += v == 1 ? 1 : 0;
  check(ones == (matched ? 1u : 0u));
  check(trie.erase(pattern, 1) == valid);
  if (is_valid_name(name))
    check(trie.erase(name, 2));
  check(trie.empty() && trie.node_count() == 0);
  return 0;
}
