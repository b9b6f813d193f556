// Compiling a content filter from JSON: validation with JSON Pointer errors,
// the cost bounds, and the normalized text.

#include <array>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/content_filter.hpp"
#include "runtime/content_filter_impl.hpp"
#include "runtime/errc.hpp"
#include "runtime/text_util.hpp"

namespace herald::runtime {

namespace {

using nlohmann::json;
using namespace filter_detail;

constexpr size_t max_text_bytes = 64 * 1024;
constexpr int max_depth = 32;
constexpr size_t max_alternatives = 1000;

struct field_name {
  std::string_view key;
  field f;
};

constexpr std::array<field_name, 13> top_fields{{
    {"id", field::id},
    {"name", field::name},
    {"source", field::source},
    {"kind", field::kind},
    {"time", field::time},
    {"tenant", field::tenant},
    {"user", field::user},
    {"scope", field::scope},
    {"allowed_groups", field::allowed_groups},
    {"datacontenttype", field::datacontenttype},
    {"traceparent", field::traceparent},
    {"node", field::node},
    {"seq", field::seq},
}};

constexpr std::array<field_name, 3> origin_fields{{
    {"trigger_id", field::origin_trigger_id},
    {"workflow_id", field::origin_workflow_id},
    {"task_id", field::origin_task_id},
}};

constexpr std::string_view operators_hint =
    "prefix, suffix, equals-ignore-case, wildcard, exists, numeric, "
    "anything-but";

/// Appends one JSON Pointer reference token (RFC 6901 escaping).
std::string pointer(const std::string& base, std::string_view token) {
  return json_pointer_append(base, token);
}

std::string pointer(const std::string& base, size_t index) {
  return base + '/' + std::to_string(index);
}

std::string ascii_lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    auto dot = key.find('.', start);
    if (dot == std::string_view::npos) {
      out.emplace_back(key.substr(start));
      return out;
    }
    out.emplace_back(key.substr(start, dot - start));
    start = dot + 1;
  }
}

/// Where a key path leads.
enum class path_kind {
  complete, ///< an event field: takes alternatives only
  open,     ///< data or below: alternatives or sub-keys
  partial,  ///< `origin`: sub-keys only
};

class compiler {
public:
  explicit compiler(std::string_view prefix) : prefix_(prefix) {}

  caf::error compile(const json& spec, std::vector<condition>& out) {
    out_ = &out;
    if (!spec.is_object())
      return fail("", "a filter must be a JSON object");
    std::vector<std::string> path;
    return compile_object(spec, path, "", 1);
  }

  caf::error fail(const std::string& ptr, std::string message) const {
    return make_api_error(errc::invalid_filter, std::move(message),
                          std::string{prefix_} + ptr);
  }

private:
  caf::error check_depth(const std::string& ptr, int depth) const {
    if (depth > max_depth)
      return fail(ptr, "filter is nested deeper than 32 levels");
    return {};
  }

  caf::error count_alternative(const std::string& ptr) {
    if (++alternatives_ > max_alternatives)
      return fail(ptr, "filter has more than 1000 alternatives in total");
    return {};
  }

  /// Classifies a key path; sets `f` for complete and open paths.
  caf::error classify(const std::vector<std::string>& path,
                      const std::string& ptr, path_kind& kind, field& f) const {
    const auto& head = path.front();
    if (head == "data") {
      kind = path_kind::open;
      f = field::data;
      return {};
    }
    if (head == "origin") {
      if (path.size() == 1) {
        kind = path_kind::partial;
        return {};
      }
      for (const auto& of : origin_fields) {
        if (path[1] != of.key)
          continue;
        if (path.size() > 2)
          return fail(ptr, "field 'origin." + path[1] + "' has no sub-fields");
        kind = path_kind::complete;
        f = of.f;
        return {};
      }
      return fail(ptr, "unknown field 'origin." + path[1] +
                           "' (origin has trigger_id, workflow_id, task_id)");
    }
    for (const auto& tf : top_fields) {
      if (head == tf.key) {
        if (path.size() > 1)
          return fail(ptr, "field '" + head + "' has no sub-fields");
        kind = path_kind::complete;
        f = tf.f;
        return {};
      }
    }
    return fail(ptr, "unknown field '" + head +
                         "': keys are event fields (id, name, source, kind, "
                         "time, tenant, user, scope, allowed_groups, "
                         "datacontenttype, traceparent, node, seq, origin.*) "
                         "or data.<path>");
  }

  caf::error compile_object(const json& obj, std::vector<std::string>& path,
                            const std::string& ptr, int depth) {
    if (auto err = check_depth(ptr, depth))
      return err;
    if (obj.empty() && !path.empty())
      return fail(ptr, "an object in a filter needs at least one key");
    for (const auto& [key, value] : obj.items()) {
      auto kptr = pointer(ptr, key);
      auto segs = split_key(key);
      for (const auto& seg : segs)
        if (seg.empty())
          return fail(kptr, "key '" + key + "' has an empty segment");
      auto old_size = path.size();
      path.insert(path.end(), segs.begin(), segs.end());
      path_kind kind = path_kind::complete;
      field f = field::data;
      auto err = classify(path, kptr, kind, f);
      if (!err) {
        if (value.is_object()) {
          if (kind == path_kind::complete)
            err = fail(kptr, "field '" + path.front() +
                                 "' takes an array of alternatives, not an "
                                 "object");
          else
            err = compile_object(value, path, kptr, depth + 1);
        } else if (value.is_array()) {
          if (kind == path_kind::partial)
            err = fail(kptr, "'origin' takes sub-keys (trigger_id, "
                             "workflow_id, task_id), not alternatives");
          else
            err = compile_alternatives(value, f, path, kptr, depth + 1);
        } else {
          err = fail(kptr, "a key takes a non-empty array of alternatives");
        }
      }
      path.resize(old_size);
      if (err)
        return err;
    }
    return {};
  }

  caf::error compile_alternatives(const json& arr, field f,
                                  const std::vector<std::string>& path,
                                  const std::string& ptr, int depth) {
    if (auto err = check_depth(ptr, depth))
      return err;
    if (arr.empty())
      return fail(ptr, "the array of alternatives is empty");
    condition c;
    c.f = f;
    if (f == field::data)
      c.data_path.assign(path.begin() + 1, path.end());
    for (size_t i = 0; i < arr.size(); ++i) {
      auto aptr = pointer(ptr, i);
      if (auto err = count_alternative(aptr))
        return err;
      matcher m;
      if (auto err = compile_alternative(arr[i], aptr, depth + 1, m))
        return err;
      if (m.k == matcher::kind::exists && !m.exists)
        c.matches_absent = true;
      c.alternatives.push_back(std::move(m));
    }
    out_->push_back(std::move(c));
    return {};
  }

  caf::error to_literal(const json& v, const std::string& ptr,
                        literal& out) const {
    switch (v.type()) {
    case json::value_t::string:
      out.t = value_type::string;
      out.s = v.get_ref<const std::string&>();
      return {};
    case json::value_t::number_unsigned:
      out.t = value_type::number;
      out.n.k = number::kind::u;
      out.n.u = v.get<uint64_t>();
      return {};
    case json::value_t::number_integer:
      out.t = value_type::number;
      out.n.k = number::kind::i;
      out.n.i = v.get<int64_t>();
      return {};
    case json::value_t::number_float:
      out.t = value_type::number;
      out.n.k = number::kind::f;
      out.n.f = v.get<double>();
      if (!std::isfinite(out.n.f))
        return fail(ptr, "numbers in a filter must be finite");
      return {};
    case json::value_t::boolean:
      out.t = value_type::boolean;
      out.b = v.get<bool>();
      return {};
    case json::value_t::null:
      out.t = value_type::null;
      return {};
    default:
      return fail(ptr, "expected a literal (string, number, boolean, null)");
    }
  }

  caf::error compile_alternative(const json& v, const std::string& ptr,
                                 int depth, matcher& m) {
    if (v.is_array())
      return fail(ptr, "an alternative is a literal or an operator object, "
                       "not an array");
    if (!v.is_object()) {
      m.k = matcher::kind::literal;
      return to_literal(v, ptr, m.lit);
    }
    if (auto err = check_depth(ptr, depth))
      return err;
    if (v.size() != 1)
      return fail(ptr, "an operator object has exactly one key, one of: " +
                           std::string{operators_hint});
    const auto& op = v.begin().key();
    const auto& arg = v.begin().value();
    auto optr = pointer(ptr, op);
    if (op == "prefix" || op == "suffix")
      return compile_affix(op == "prefix", arg, optr, depth + 1, m);
    if (op == "equals-ignore-case" || op == "wildcard") {
      m.k = matcher::kind::string;
      return compile_string_test(op, arg, optr, m.str);
    }
    if (op == "exists") {
      if (!arg.is_boolean())
        return fail(optr, "exists takes true or false");
      m.k = matcher::kind::exists;
      m.exists = arg.get<bool>();
      return {};
    }
    if (op == "numeric")
      return compile_numeric(arg, optr, depth + 1, m);
    if (op == "anything-but")
      return compile_anything_but(arg, optr, depth + 1, m);
    return fail(optr, "unknown operator '" + op +
                          "' (known: " + std::string{operators_hint} + ")");
  }

  caf::error compile_affix(bool is_prefix, const json& arg,
                           const std::string& ptr, int depth, matcher& m) {
    m.k = matcher::kind::string;
    auto name = std::string{is_prefix ? "prefix" : "suffix"};
    if (arg.is_string()) {
      m.str.k =
          is_prefix ? string_test::kind::prefix : string_test::kind::suffix;
      m.str.text = arg.get<std::string>();
      return {};
    }
    if (arg.is_object()) {
      if (auto err = check_depth(ptr, depth))
        return err;
      auto it = arg.find("equals-ignore-case");
      if (arg.size() == 1 && it != arg.end()) {
        if (!it->is_string())
          return fail(pointer(ptr, "equals-ignore-case"),
                      "equals-ignore-case takes a string");
        m.str.k = is_prefix ? string_test::kind::prefix_ignore_case
                            : string_test::kind::suffix_ignore_case;
        m.str.text = ascii_lower(it->get_ref<const std::string&>());
        return {};
      }
    }
    return fail(ptr, name + " takes a string or {\"equals-ignore-case\": "
                            "string}");
  }

  caf::error compile_string_test(const std::string& op, const json& arg,
                                 const std::string& ptr,
                                 string_test& out) const {
    if (!arg.is_string())
      return fail(ptr, op + " takes a string");
    const auto& text = arg.get_ref<const std::string&>();
    if (op == "prefix" || op == "suffix") {
      out.k = op == "prefix" ? string_test::kind::prefix
                             : string_test::kind::suffix;
      out.text = text;
      return {};
    }
    if (op == "equals-ignore-case") {
      out.k = string_test::kind::equals_ignore_case;
      out.text = ascii_lower(text);
      return {};
    }
    out.k = string_test::kind::wildcard;
    out.text = text;
    out.parts.assign(1, std::string{});
    bool star_before = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '*') {
        if (star_before)
          return fail(ptr, "wildcard has consecutive '*'");
        out.parts.emplace_back();
        star_before = true;
        continue;
      }
      star_before = false;
      if (c == '\\') {
        if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\'))
          return fail(ptr, "in a wildcard '\\' escapes only '*' or '\\'");
        c = text[++i];
      }
      out.parts.back() += c;
    }
    return {};
  }

  caf::error compile_numeric(const json& arg, const std::string& ptr, int depth,
                             matcher& m) {
    static constexpr std::string_view arity =
        "numeric takes [op, number] or [\">\"|\">=\", number, \"<\"|\"<=\", "
        "number]";
    if (!arg.is_array() || (arg.size() != 2 && arg.size() != 4))
      return fail(ptr, std::string{arity});
    if (auto err = check_depth(ptr, depth))
      return err;
    m.k = matcher::kind::numeric;
    for (size_t i = 0; i < arg.size(); i += 2) {
      const auto& op = arg[i];
      numeric_op o;
      if (op == "=")
        o = numeric_op::eq;
      else if (op == "<")
        o = numeric_op::lt;
      else if (op == "<=")
        o = numeric_op::le;
      else if (op == ">")
        o = numeric_op::gt;
      else if (op == ">=")
        o = numeric_op::ge;
      else
        return fail(pointer(ptr, i),
                    "numeric operator must be one of =, <, <=, >, >=");
      literal bound;
      if (!arg[i + 1].is_number())
        return fail(pointer(ptr, i + 1), "numeric needs a number here");
      if (auto err = to_literal(arg[i + 1], pointer(ptr, i + 1), bound))
        return err;
      m.bounds.emplace_back(o, bound.n);
    }
    if (m.bounds.size() == 2) {
      auto lo = m.bounds[0].first;
      auto hi = m.bounds[1].first;
      if (lo != numeric_op::gt && lo != numeric_op::ge)
        return fail(pointer(ptr, 0), "a numeric range starts with > or >=");
      if (hi != numeric_op::lt && hi != numeric_op::le)
        return fail(pointer(ptr, 2), "a numeric range ends with < or <=");
      if (compare(m.bounds[0].second, m.bounds[1].second) > 0)
        return fail(ptr, "numeric range: lower bound above upper bound");
    }
    return {};
  }

  caf::error compile_anything_but(const json& arg, const std::string& ptr,
                                  int depth, matcher& m) {
    static constexpr std::string_view usage =
        "anything-but takes a string, a number, an array of them, or "
        "{\"prefix\"|\"suffix\"|\"equals-ignore-case\"|\"wildcard\": string}";
    if (arg.is_string() || arg.is_number()) {
      m.k = matcher::kind::anything_but;
      m.lits.emplace_back();
      return to_literal(arg, ptr, m.lits.back());
    }
    if (auto err = check_depth(ptr, depth))
      return err;
    if (arg.is_array()) {
      if (arg.empty())
        return fail(ptr, "anything-but needs a non-empty array");
      m.k = matcher::kind::anything_but;
      for (size_t i = 0; i < arg.size(); ++i) {
        auto eptr = pointer(ptr, i);
        if (!arg[i].is_string() && !arg[i].is_number())
          return fail(eptr, "anything-but lists take strings and numbers");
        // The first entry is the alternative itself, already counted.
        if (i > 0)
          if (auto err = count_alternative(eptr))
            return err;
        m.lits.emplace_back();
        if (auto err = to_literal(arg[i], eptr, m.lits.back()))
          return err;
      }
      return {};
    }
    if (arg.is_object() && arg.size() == 1) {
      const auto& op = arg.begin().key();
      if (op == "prefix" || op == "suffix" || op == "equals-ignore-case" ||
          op == "wildcard") {
        m.k = matcher::kind::anything_but_str;
        return compile_string_test(op, arg.begin().value(), pointer(ptr, op),
                                   m.str);
      }
    }
    return fail(ptr, std::string{usage});
  }

  std::string_view prefix_;
  std::vector<condition>* out_ = nullptr;
  size_t alternatives_ = 0;
};

} // namespace

caf::expected<content_filter> content_filter::parse(const nlohmann::json& spec,
                                                    std::string_view prefix) {
  compiler comp{prefix};
  auto result = std::make_shared<impl>();
  try {
    if (auto err = comp.compile(spec, result->conditions))
      return err;
    // Depth is bounded now, so the recursive dump is safe. Strict UTF-8:
    // a replaced character would change what the text means.
    result->text = spec.dump();
  } catch (const nlohmann::json::exception& e) {
    return comp.fail("", std::string{"filter is not valid: "} + e.what());
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what(), std::string{prefix});
  }
  if (result->text.size() > max_text_bytes)
    return comp.fail("", "filter is larger than 64 KiB");
  content_filter out;
  out.impl_ = std::move(result);
  return out;
}

caf::expected<content_filter> content_filter::parse(std::string_view text,
                                                    std::string_view prefix) {
  compiler comp{prefix};
  if (text.size() > max_text_bytes)
    return comp.fail("", "filter is larger than 64 KiB");
  json spec;
  try {
    // The parser and json's destructor are iterative: deep input is safe
    // here and rejected by the depth check.
    spec = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, or out_of_range for a number like 1e400.
    return comp.fail("", std::string{"filter is not valid JSON: "} + e.what());
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what(), std::string{prefix});
  }
  return parse(spec, prefix);
}

caf::expected<content_filter> content_filter::parse(const char* text,
                                                    std::string_view prefix) {
  return parse(std::string_view{text ? text : ""}, prefix);
}

caf::expected<content_filter> content_filter::parse(const std::string& text,
                                                    std::string_view prefix) {
  return parse(std::string_view{text}, prefix);
}

} // namespace herald::runtime
