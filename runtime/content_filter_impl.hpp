#pragma once

// Internal to runtime/content_filter*.cpp: the compiled form of a content
// filter. Not for use outside those files.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/content_filter.hpp"

namespace herald::runtime::filter_detail {

/// A JSON number as parsed: exact for integers, double otherwise.
struct number {
  enum class kind : uint8_t { i, u, f };
  kind k = kind::u;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
};

/// -1, 0 or 1 as a is below, equal to or above b (integers compare exactly).
int compare(const number& a, const number& b) noexcept;

enum class value_type : uint8_t { string, number, boolean, null, other };

/// One value of the event under a key: a scalar, or `other` for an object.
/// Views into the event or its parsed data; valid while they live.
struct leaf {
  value_type t = value_type::null;
  std::string_view s;
  number n;
  bool b = false;
};

/// A literal of the filter (owning).
struct literal {
  value_type t = value_type::null;
  std::string s;
  number n;
  bool b = false;
};

bool equals(const literal& lit, const leaf& v) noexcept;

/// A test on string values.
struct string_test {
  enum class kind : uint8_t {
    prefix,
    suffix,
    prefix_ignore_case, ///< text_ is ASCII-lowercased
    suffix_ignore_case,
    equals_ignore_case,
    wildcard, ///< parts: the text between unescaped stars
  };
  kind k = kind::prefix;
  std::string text;
  std::vector<std::string> parts;

  bool test(std::string_view s) const noexcept;
};

enum class numeric_op : uint8_t { eq, lt, le, gt, ge };

/// One alternative of a key.
struct matcher {
  enum class kind : uint8_t {
    literal,
    string,          ///< str
    exists,          ///< exists
    numeric,         ///< bounds (1 or 2)
    anything_but,    ///< none of lits
    anything_but_str ///< a string failing str
  };
  kind k = kind::literal;
  literal lit;
  string_test str;
  bool exists = false;
  std::vector<std::pair<numeric_op, number>> bounds;
  std::vector<literal> lits;

  /// Whether one present value satisfies this alternative (exists aside).
  bool test(const leaf& v) const noexcept;
};

/// The event fields a key can address.
enum class field : uint8_t {
  id,
  name,
  source,
  kind,
  time,
  tenant,
  user,
  scope,
  allowed_groups,
  datacontenttype,
  traceparent,
  node,
  seq,
  origin_trigger_id,
  origin_workflow_id,
  origin_task_id,
  data,
};

/// One key of the filter: all alternatives for one field path.
struct condition {
  field f = field::data;
  std::vector<std::string> data_path; ///< segments after "data"
  std::vector<matcher> alternatives;
  bool matches_absent = false; ///< has {"exists":false}
};

} // namespace herald::runtime::filter_detail

namespace herald::runtime {

struct content_filter::impl {
  std::vector<filter_detail::condition> conditions;
  std::string text;
};

} // namespace herald::runtime
