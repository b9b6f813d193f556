// Matching compiled content filters against events; event_view.

#include "runtime/content_filter.hpp"

#include <nlohmann/json.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/content_filter_impl.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime {

namespace filter_detail {

namespace {

/// A signed view of an integer number: magnitude and sign.
struct integer {
  bool negative;
  uint64_t magnitude;
};

integer to_integer(const number& n) noexcept {
  if (n.k == number::kind::u)
    return {false, n.u};
  if (n.i >= 0)
    return {false, static_cast<uint64_t>(n.i)};
  return {true, static_cast<uint64_t>(-(n.i + 1)) + 1};
}

long double to_long_double(const number& n) noexcept {
  switch (n.k) {
  case number::kind::u:
    return static_cast<long double>(n.u);
  case number::kind::i:
    return static_cast<long double>(n.i);
  case number::kind::f:
    break;
  }
  return n.f;
}

char fold(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` equals the already-lowercased `lower`, ignoring ASCII case.
bool equal_folded(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size())
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (fold(s[i]) != lower[i])
      return false;
  return true;
}

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

bool ends_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

/// `parts` are the literal runs between stars (at least two when a star is
/// present). Greedy leftmost placement of the middle runs is exact for
/// patterns whose only wildcard is `*`.
bool wildcard_match(std::string_view s,
                    const std::vector<std::string>& parts) noexcept {
  if (parts.size() == 1)
    return s == parts.front();
  const auto& first = parts.front();
  const auto& last = parts.back();
  if (s.size() < first.size() + last.size() || !starts_with(s, first) ||
      !ends_with(s, last))
    return false;
  auto middle = s.substr(first.size(), s.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    auto pos = middle.find(parts[i]);
    if (pos == std::string_view::npos)
      return false;
    middle.remove_prefix(pos + parts[i].size());
  }
  return true;
}

bool numeric_holds(numeric_op op, const number& v, const number& bound) {
  auto c = compare(v, bound);
  switch (op) {
  case numeric_op::eq:
    return c == 0;
  case numeric_op::lt:
    return c < 0;
  case numeric_op::le:
    return c <= 0;
  case numeric_op::gt:
    return c > 0;
  case numeric_op::ge:
    return c >= 0;
  }
  return false;
}

} // namespace

int compare(const number& a, const number& b) noexcept {
  if (a.k != number::kind::f && b.k != number::kind::f) {
    auto x = to_integer(a);
    auto y = to_integer(b);
    if (x.negative != y.negative)
      return x.negative ? -1 : 1;
    if (x.magnitude == y.magnitude)
      return 0;
    bool less = x.magnitude < y.magnitude;
    return (less != x.negative) ? -1 : 1;
  }
  // long double holds every int64/uint64 and double exactly on x86-64.
  auto x = to_long_double(a);
  auto y = to_long_double(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool equals(const literal& lit, const leaf& v) noexcept {
  if (lit.t != v.t)
    return false;
  switch (lit.t) {
  case value_type::string:
    return lit.s == v.s;
  case value_type::number:
    return compare(lit.n, v.n) == 0;
  case value_type::boolean:
    return lit.b == v.b;
  case value_type::null:
    return true;
  case value_type::other:
    break;
  }
  return false;
}

bool string_test::test(std::string_view s) const noexcept {
  switch (k) {
  case kind::prefix:
    return starts_with(s, text);
  case kind::suffix:
    return ends_with(s, text);
  case kind::prefix_ignore_case:
    return s.size() >= text.size() &&
           equal_folded(s.substr(0, text.size()), text);
  case kind::suffix_ignore_case:
    return s.size() >= text.size() &&
           equal_folded(s.substr(s.size() - text.size()), text);
  case kind::equals_ignore_case:
    return equal_folded(s, text);
  case kind::wildcard:
    return wildcard_match(s, parts);
  }
  return false;
}

bool matcher::test(const leaf& v) const noexcept {
  switch (k) {
  case kind::literal:
    return equals(lit, v);
  case kind::string:
    return v.t == value_type::string && str.test(v.s);
  case kind::exists:
    return exists;
  case kind::numeric:
    if (v.t != value_type::number)
      return false;
    for (const auto& [op, bound] : bounds)
      if (!numeric_holds(op, v.n, bound))
        return false;
    return true;
  case kind::anything_but:
    for (const auto& l : lits)
      if (equals(l, v))
        return false;
    return true;
  case kind::anything_but_str:
    return v.t == value_type::string && !str.test(v.s);
  }
  return false;
}

} // namespace filter_detail

namespace {

using nlohmann::json;
using namespace filter_detail;

leaf string_leaf(std::string_view s) {
  leaf l;
  l.t = value_type::string;
  l.s = s;
  return l;
}

leaf json_leaf(const json& j) {
  leaf l;
  switch (j.type()) {
  case json::value_t::string:
    l.t = value_type::string;
    l.s = j.get_ref<const std::string&>();
    break;
  case json::value_t::number_unsigned:
    l.t = value_type::number;
    l.n.k = number::kind::u;
    l.n.u = j.get<uint64_t>();
    break;
  case json::value_t::number_integer:
    l.t = value_type::number;
    l.n.k = number::kind::i;
    l.n.i = j.get<int64_t>();
    break;
  case json::value_t::number_float:
    l.t = value_type::number;
    l.n.k = number::kind::f;
    l.n.f = j.get<double>();
    break;
  case json::value_t::boolean:
    l.t = value_type::boolean;
    l.b = j.get<bool>();
    break;
  case json::value_t::null:
    l.t = value_type::null;
    break;
  default:
    l.t = value_type::other;
    break;
  }
  return l;
}

/// Collects the values at `path` under `root`, descending arrays
/// element-wise, and flattens array values into their elements. Iterative:
/// event data may nest arbitrarily deep. Returns whether the path resolved.
bool collect_data(const json& root, const std::vector<std::string>& path,
                  std::vector<leaf>& out) {
  bool present = false;
  std::vector<std::pair<const json*, size_t>> todo{{&root, 0}};
  std::vector<const json*> arrays;
  while (!todo.empty()) {
    auto [node, i] = todo.back();
    todo.pop_back();
    if (i == path.size()) {
      present = true;
      if (node->is_array())
        arrays.push_back(node);
      else
        out.push_back(json_leaf(*node));
      continue;
    }
    if (node->is_object()) {
      if (auto it = node->find(path[i]); it != node->end())
        todo.emplace_back(&*it, i + 1);
    } else if (node->is_array()) {
      for (auto it = node->rbegin(); it != node->rend(); ++it)
        todo.emplace_back(&*it, i);
    }
  }
  while (!arrays.empty()) {
    const auto* arr = arrays.back();
    arrays.pop_back();
    for (const auto& e : *arr) {
      if (e.is_array())
        arrays.push_back(&e);
      else
        out.push_back(json_leaf(e));
    }
  }
  return present;
}

/// Collects the values of a field; false when the field is absent.
bool collect(const condition& c, const event_view& view,
             std::vector<leaf>& out) {
  const auto& ev = view.event();
  auto text = [&out](const std::string& s) {
    if (s.empty())
      return false;
    out.push_back(string_leaf(s));
    return true;
  };
  switch (c.f) {
  case field::id:
    return text(ev.id());
  case field::name:
    return text(ev.name());
  case field::source:
    return text(ev.source());
  case field::kind:
    switch (ev.kind()) {
    case v1::KIND_USER:
      out.push_back(string_leaf("user"));
      return true;
    case v1::KIND_SYS:
      out.push_back(string_leaf("sys"));
      return true;
    default:
      return false;
    }
  case field::time:
    return text(view.time_text());
  case field::tenant:
    return text(ev.tenant());
  case field::user:
    return text(ev.user());
  case field::scope:
    return text(ev.scope());
  case field::allowed_groups:
    for (const auto& g : ev.allowed_groups())
      out.push_back(string_leaf(g));
    return ev.allowed_groups_size() > 0;
  case field::datacontenttype:
    return text(ev.datacontenttype());
  case field::traceparent:
    return text(ev.traceparent());
  case field::node:
    return text(ev.node());
  case field::seq: {
    if (ev.seq() == 0)
      return false;
    leaf l;
    l.t = value_type::number;
    l.n.k = number::kind::u;
    l.n.u = ev.seq();
    out.push_back(l);
    return true;
  }
  case field::origin_trigger_id:
    return text(ev.origin().trigger_id());
  case field::origin_workflow_id:
    return text(ev.origin().workflow_id());
  case field::origin_task_id:
    return text(ev.origin().task_id());
  case field::data: {
    const auto* data = view.data();
    return data != nullptr && collect_data(*data, c.data_path, out);
  }
  }
  return false;
}

bool matches_condition(const condition& c, const event_view& view,
                       std::vector<leaf>& scratch) {
  scratch.clear();
  if (!collect(c, view, scratch))
    return c.matches_absent;
  for (const auto& m : c.alternatives) {
    if (m.k == matcher::kind::exists) {
      if (m.exists)
        return true;
      continue;
    }
    for (const auto& v : scratch)
      if (m.test(v))
        return true;
  }
  return false;
}

} // namespace

// -- event_view ---------------------------------------------------------------

event_view::event_view(const v1::Event& ev) : ev_(ev) {}

event_view::~event_view() = default;

const nlohmann::json* event_view::data() const {
  if (!parsed_) {
    parsed_ = true;
    if (ev_.data_case() == v1::Event::kDataJson) {
      auto parsed = json::parse(ev_.data_json(), nullptr, false);
      if (!parsed.is_discarded())
        data_ = std::make_unique<json>(std::move(parsed));
    }
  }
  return data_.get();
}

const std::string& event_view::time_text() const {
  if (!time_)
    time_ = format_rfc3339(ev_.time_ns());
  return *time_;
}

// -- content_filter -----------------------------------------------------------

content_filter::content_filter() = default;
content_filter::~content_filter() = default;
content_filter::content_filter(const content_filter&) = default;
content_filter& content_filter::operator=(const content_filter&) = default;
content_filter::content_filter(content_filter&&) noexcept = default;
content_filter& content_filter::operator=(content_filter&&) noexcept = default;

bool content_filter::empty() const noexcept {
  return !impl_ || impl_->conditions.empty();
}

bool content_filter::matches(const event_view& ev) const {
  if (empty())
    return true;
  try {
    std::vector<leaf> scratch;
    for (const auto& c : impl_->conditions)
      if (!matches_condition(c, ev, scratch))
        return false;
    return true;
  } catch (const std::exception&) {
    // Only allocation can fail here; an event that cannot be evaluated does
    // not match.
    return false;
  }
}

bool content_filter::matches(const v1::Event& ev) const {
  event_view view{ev};
  return matches(view);
}

const std::string& content_filter::text() const noexcept {
  static const std::string empty_text = "{}";
  return impl_ ? impl_->text : empty_text;
}

} // namespace herald::runtime
