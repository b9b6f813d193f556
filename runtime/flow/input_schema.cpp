// input_schema (declared in workflow.hpp): the JSON Schema subset a
// workflow's input is checked against, compiled once into a tree of nodes.

#include <cmath>
#include <cstdint>
#include <map>
#include <regex>

#include "runtime/errc.hpp"
#include "runtime/flow/detail.hpp"
#include "runtime/flow/workflow.hpp"
#include "runtime/text_util.hpp"

namespace herald::flow {

using runtime::errc;
using json = nlohmann::json;

namespace {

enum type_bit : uint8_t {
  t_object = 1,
  t_array = 2,
  t_string = 4,
  t_number = 8,
  t_integer = 16,
  t_boolean = 32,
  t_null = 64,
};

constexpr std::pair<std::string_view, uint8_t> type_names[] = {
    {"object", t_object}, {"array", t_array},     {"string", t_string},
    {"number", t_number}, {"integer", t_integer}, {"boolean", t_boolean},
    {"null", t_null},
};

/// Strings longer than this fail `pattern` without being searched, and
/// longer patterns are refused: libstdc++'s std::regex recurses about once
/// per character (~1 KiB of stack each; `^[a-z]*$` on 16 KiB of text
/// overflowed an 8 MiB stack), and actor threads have no more.
constexpr size_t max_pattern_subject = 1024;
constexpr size_t max_pattern_text = 1024;

caf::error invalid(std::string message, std::string field) {
  return runtime::make_api_error(errc::invalid_field, std::move(message),
                                 std::move(field));
}

bool is_integral(const json& v) {
  if (v.is_number_integer())
    return true;
  if (!v.is_number_float())
    return false;
  auto d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

uint8_t type_of(const json& v) {
  switch (v.type()) {
  case json::value_t::object:
    return t_object;
  case json::value_t::array:
    return t_array;
  case json::value_t::string:
    return t_string;
  case json::value_t::boolean:
    return t_boolean;
  case json::value_t::null:
    return t_null;
  default:
    return is_integral(v) ? (t_number | t_integer) : t_number;
  }
}

std::string type_name(const json& v) {
  if (v.is_number())
    return is_integral(v) ? "integer" : "number";
  return v.type_name();
}

std::string type_list(uint8_t mask) {
  std::string out;
  for (const auto& [name, bit] : type_names)
    if (mask & bit) {
      if (!out.empty())
        out += " or ";
      out += name;
    }
  return out;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

/// 5 rather than 5.0 for a bound written as an integer.
std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15)
    return std::to_string(static_cast<long long>(d));
  return json(d).dump();
}

} // namespace

struct input_schema::node {
  uint8_t types = 0; ///< 0: any
  std::vector<std::string> required;
  std::map<std::string, std::unique_ptr<node>, std::less<>> properties;
  bool additional = true;
  std::optional<json> enum_values;
  std::optional<json> const_value;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<uint64_t> min_length, max_length, min_items, max_items;
  std::optional<std::regex> pattern;
  std::string pattern_text;
  std::unique_ptr<node> items;
};

namespace {

using node = input_schema::node;

caf::expected<std::unique_ptr<node>> compile_node(const json& schema,
                                                  const std::string& ptr) {
  if (!schema.is_object())
    return invalid("a schema must be a JSON object", ptr);
  auto out = std::make_unique<node>();
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    auto field = runtime::json_pointer_append(ptr, key);
    auto number = [&](std::optional<double>& dst) -> caf::error {
      if (!v.is_number())
        return invalid(key + " must be a number", field);
      dst = v.get<double>();
      return {};
    };
    auto count = [&](std::optional<uint64_t>& dst) -> caf::error {
      if (!is_integral(v) || v.get<double>() < 0)
        return invalid(key + " must be a non-negative integer", field);
      dst = v.is_number_unsigned() ? v.get<uint64_t>()
                                   : static_cast<uint64_t>(v.get<double>());
      return {};
    };
    caf::error err;
    if (key == "type") {
      auto add = [&](const json& name) -> caf::error {
        if (name.is_string())
          for (const auto& [text, bit] : type_names)
            if (name.get_ref<const std::string&>() == text) {
              if (out->types & bit)
                return invalid("type lists '" + std::string{text} + "' twice",
                               field);
              out->types |= bit;
              return {};
            }
        return invalid("type must be object, array, string, number, integer, "
                       "boolean or null, or a list of them",
                       field);
      };
      if (v.is_array()) {
        if (v.empty())
          err = invalid("type must not be an empty list", field);
        for (const auto& t : v)
          if (!err)
            err = add(t);
      } else {
        err = add(v);
      }
    } else if (key == "required") {
      if (!v.is_array())
        return invalid("required must be a list of property names", field);
      for (const auto& name : v) {
        if (!name.is_string())
          return invalid("required must be a list of property names", field);
        out->required.push_back(name.get<std::string>());
      }
    } else if (key == "properties") {
      if (!v.is_object())
        return invalid("properties must be an object of schemas", field);
      for (auto p = v.begin(); p != v.end(); ++p) {
        auto sub = compile_node(p.value(),
                                runtime::json_pointer_append(field, p.key()));
        if (!sub)
          return std::move(sub.error());
        out->properties.emplace(p.key(), std::move(*sub));
      }
    } else if (key == "additionalProperties") {
      if (!v.is_boolean())
        return invalid("additionalProperties must be true or false (a schema "
                       "there is not supported)",
                       field);
      out->additional = v.get<bool>();
    } else if (key == "enum") {
      if (!v.is_array() || v.empty())
        return invalid("enum must be a non-empty list", field);
      out->enum_values = v;
    } else if (key == "const") {
      out->const_value = v;
    } else if (key == "minimum") {
      err = number(out->minimum);
    } else if (key == "maximum") {
      err = number(out->maximum);
    } else if (key == "exclusiveMinimum") {
      err = number(out->exclusive_minimum);
    } else if (key == "exclusiveMaximum") {
      err = number(out->exclusive_maximum);
    } else if (key == "minLength") {
      err = count(out->min_length);
    } else if (key == "maxLength") {
      err = count(out->max_length);
    } else if (key == "minItems") {
      err = count(out->min_items);
    } else if (key == "maxItems") {
      err = count(out->max_items);
    } else if (key == "pattern") {
      if (!v.is_string())
        return invalid("pattern must be a string", field);
      if (v.get_ref<const std::string&>().size() > max_pattern_text)
        return invalid("pattern is longer than 1024 bytes", field);
      out->pattern_text = v.get<std::string>();
      try {
        out->pattern.emplace(out->pattern_text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return invalid("pattern is not an ECMAScript regular expression: " +
                           std::string{e.what()},
                       field);
      }
    } else if (key == "items") {
      if (v.is_array())
        return invalid("items must be one schema (the list form is not "
                       "supported)",
                       field);
      auto sub = compile_node(v, field);
      if (!sub)
        return std::move(sub.error());
      out->items = std::move(*sub);
    } else if (key == "title" || key == "description" || key == "default" ||
               key == "$schema" || key == "$id" || key == "examples") {
      // Annotations: accepted, never checked.
    } else {
      return runtime::make_api_error(
          errc::unknown_field,
          "schema keyword '" + key +
              "' is not supported (see docs/API.md for the subset)",
          field);
    }
    if (err)
      return err;
  }
  return out;
}

/// Appends why `v` at `ptr` fails `n` to `out`; false on failure.
bool check_node(const node& n, const json& v, std::string& ptr,
                std::string& out) {
  auto fail = [&](const std::string& why) {
    out = (ptr.empty() ? "/" : ptr) + ": " + why;
    return false;
  };
  if (n.types != 0 && (type_of(v) & n.types) == 0)
    return fail("expected " + type_list(n.types) + ", got " + type_name(v));
  if (n.enum_values) {
    bool found = false;
    for (const auto& e : *n.enum_values)
      if (e == v) {
        found = true;
        break;
      }
    if (!found)
      return fail(
          "not one of " +
          n.enum_values->dump(-1, ' ', false, json::error_handler_t::replace));
  }
  if (n.const_value && *n.const_value != v)
    return fail(
        "must be " +
        n.const_value->dump(-1, ' ', false, json::error_handler_t::replace));
  if (v.is_number()) {
    auto d = v.get<double>();
    if (n.minimum && d < *n.minimum)
      return fail("less than the minimum " + number_text(*n.minimum));
    if (n.maximum && d > *n.maximum)
      return fail("more than the maximum " + number_text(*n.maximum));
    if (n.exclusive_minimum && d <= *n.exclusive_minimum)
      return fail("must be more than " + number_text(*n.exclusive_minimum));
    if (n.exclusive_maximum && d >= *n.exclusive_maximum)
      return fail("must be less than " + number_text(*n.exclusive_maximum));
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (n.min_length || n.max_length) {
      auto len = code_points(s);
      if (n.min_length && len < *n.min_length)
        return fail("shorter than " + std::to_string(*n.min_length) +
                    " characters");
      if (n.max_length && len > *n.max_length)
        return fail("longer than " + std::to_string(*n.max_length) +
                    " characters");
    }
    if (n.pattern && s.size() > max_pattern_subject)
      return fail("longer than 1024 bytes, the most `pattern` checks");
    if (n.pattern && !std::regex_search(s, *n.pattern))
      return fail("does not match the pattern " + n.pattern_text);
  } else if (v.is_array()) {
    if (n.min_items && v.size() < *n.min_items)
      return fail("fewer than " + std::to_string(*n.min_items) + " items");
    if (n.max_items && v.size() > *n.max_items)
      return fail("more than " + std::to_string(*n.max_items) + " items");
    if (n.items)
      for (size_t i = 0; i < v.size(); ++i) {
        auto saved = ptr.size();
        ptr += "/" + std::to_string(i);
        if (!check_node(*n.items, v[i], ptr, out))
          return false;
        ptr.resize(saved);
      }
  } else if (v.is_object()) {
    for (const auto& name : n.required)
      if (!v.contains(name)) {
        ptr = runtime::json_pointer_append(ptr, name);
        return fail("required property missing");
      }
    for (auto it = v.begin(); it != v.end(); ++it) {
      auto p = n.properties.find(it.key());
      if (p == n.properties.end() && n.additional)
        continue;
      auto saved = ptr.size();
      ptr = runtime::json_pointer_append(ptr, it.key());
      if (p == n.properties.end())
        return fail("property not allowed");
      if (!check_node(*p->second, it.value(), ptr, out))
        return false;
      ptr.resize(saved);
    }
  }
  return true;
}

} // namespace

caf::expected<input_schema> input_schema::compile(const nlohmann::json& schema,
                                                  std::string field) {
  auto root = compile_node(schema, field);
  if (!root)
    return std::move(root.error());
  input_schema out;
  out.schema_ = schema;
  out.root_ = std::shared_ptr<const node>{std::move(*root)};
  return out;
}

std::string input_schema::check(const nlohmann::json& value) const {
  std::string out;
  if (!root_)
    return out;
  std::string ptr;
  check_node(*root_, value, ptr, out);
  return out;
}

} // namespace herald::flow
