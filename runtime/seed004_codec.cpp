// Seed 004's Event object in and out (see seed004_codec.hpp for the map).

#include "runtime/seed004_codec.hpp"

#include <array>
#include <charconv>
#include <optional>

#include "runtime/event_codec_detail.hpp"
#include "runtime/subject.hpp"

namespace herald::runtime {

namespace {

using nlohmann::json;

/// One hierarchy of 004 scope fields: the scope root and its three levels.
struct scope_family {
  std::string_view root;
  std::array<std::string_view, 3> fields;
};

constexpr scope_family inventory_family{
    "inventory",
    {"inventory_project", "inventory_application", "inventory_version"}};
constexpr scope_family state_family{
    "project", {"state_project", "state_environment", "state_deployment"}};

/// Appends the JSON string literal of `value`; invalid UTF-8 becomes U+FFFD.
void append_quoted(std::string& out, std::string_view value) {
  out += json(std::string{value})
             .dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Appends `,"key":` (no comma before the first member).
void append_key(std::string& out, std::string_view key) {
  if (out.back() != '{')
    out += ',';
  out += '"';
  out += key;
  out += "\":";
}

void append_string_member(std::string& out, std::string_view key,
                          std::string_view value) {
  append_key(out, key);
  append_quoted(out, value);
}

/// The event's extension `name` parsed back (null when absent or not JSON).
json extension(const v1::Event& ev, std::string_view name) {
  auto it = ev.extensions().find(std::string{name});
  if (it == ev.extensions().end())
    return json();
  auto v = json::parse(it->second, nullptr, false);
  return v.is_discarded() ? json() : v;
}

caf::error bad_timestamp(std::string field) {
  return make_api_error(errc::invalid_time,
                        "timestamp must be Unix nanoseconds: an integer or a "
                        "decimal string within int64",
                        std::move(field));
}

/// `timestamp`: a JSON integer or a decimal string of Unix nanoseconds.
caf::expected<int64_t> parse_timestamp(const json& v, std::string field) {
  if (v.is_number_unsigned()) {
    const auto ns = v.get<uint64_t>();
    if (ns > static_cast<uint64_t>(INT64_MAX))
      return bad_timestamp(std::move(field));
    return static_cast<int64_t>(ns);
  }
  if (v.is_number_integer())
    return v.get<int64_t>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    int64_t ns = 0;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    // from_chars takes a leading '-' but no '+' or spaces: exactly the
    // decimal form wanted.
    auto [ptr, ec] = std::from_chars(first, last, ns);
    if (s.empty() || ec != std::errc{} || ptr != last)
      return bad_timestamp(std::move(field));
    return ns;
  }
  return bad_timestamp(std::move(field)); // floats lose nanoseconds
}

caf::error string_field(const json& v, const std::string& field,
                        std::string_view key) {
  if (!v.is_string())
    return detail::invalid_field(std::string{key} + " must be a string", field);
  return {};
}

/// An array of strings, each 1-256 bytes (the shape of groups and roles).
caf::error string_array(const json& v, const std::string& field,
                        std::string_view key) {
  if (!v.is_array())
    return detail::invalid_field(
        std::string{key} + " must be an array of strings", field);
  for (size_t i = 0; i < v.size(); ++i)
    if (!v[i].is_string())
      return detail::invalid_field(std::string{key} +
                                       " must be an array of strings",
                                   field + "/" + std::to_string(i));
  return {};
}

/// Renames the native fields in an error of validate_event() to 004's.
caf::error to_seed004_error(const caf::error& err, std::string_view pointer,
                            std::string_view scope_field) {
  auto e = describe(err);
  if (e.field.compare(0, pointer.size(), pointer) != 0)
    return err;
  std::string_view rest{e.field};
  rest.remove_prefix(pointer.size());
  if (!rest.empty() && rest.front() == '/')
    rest.remove_prefix(1);
  const auto head = rest.substr(0, rest.find('/'));
  std::string mapped;
  if (head == "name")
    mapped = "type";
  else if (head == "time")
    mapped = "timestamp";
  else if (head == "user")
    mapped = "username";
  else if (head == "scope")
    mapped = std::string{scope_field};
  else if (rest == "extensions/allowedroles")
    mapped = "allowed_roles";
  else if (rest == "extensions/inventorynamespace")
    mapped = "inventory_namespace";
  else
    return err;
  return make_api_error(e.code, std::move(e.message),
                        json_pointer_append(pointer, mapped));
}

/// The scope levels of one family given in `obj`, checked: each a scope
/// segment, none without its parent. `first` is set to the pointer of the
/// first level present (for errors about the scope as a whole).
caf::error collect_levels(const json& obj, std::string_view pointer,
                          const scope_family& family,
                          std::vector<std::string>& levels,
                          std::string& first) {
  std::optional<std::string_view> missing_parent;
  for (auto key : family.fields) {
    auto it = obj.find(std::string{key});
    const std::string field = json_pointer_append(pointer, key);
    if (it == obj.end() || it->is_null()) {
      if (!missing_parent)
        missing_parent = key;
      continue;
    }
    if (auto err = string_field(*it, field, key))
      return err;
    const auto& value = it->get_ref<const std::string&>();
    if (!is_valid_scope_segment(value))
      return make_api_error(errc::invalid_scope,
                            std::string{key} +
                                " must be a non-empty scope segment of "
                                "[A-Za-z0-9._~@:+-]",
                            field);
    if (missing_parent)
      return detail::invalid_field(
          std::string{key} + " needs " + std::string{*missing_parent}, field);
    if (first.empty())
      first = field;
    levels.push_back(value);
  }
  return {};
}

bool is_scope_key(std::string_view key) {
  for (const auto* family : {&inventory_family, &state_family})
    for (auto f : family->fields)
      if (f == key)
        return true;
  return false;
}

} // namespace

bool is_valid_scope_segment(std::string_view segment) noexcept {
  return !segment.empty() && segment.find('/') == std::string_view::npos &&
         is_valid_scope(segment);
}

std::string seed004_scope(std::string_view root,
                          const std::vector<std::string>& levels) {
  std::string out{root};
  for (const auto& level : levels) {
    out += '/';
    out += level;
  }
  return out;
}

std::string to_seed004_json_text(const v1::Event& ev) {
  std::string out;
  out.reserve(192 + ev.data_json().size());
  out += '{';
  if (!ev.id().empty())
    append_string_member(out, "id", ev.id());
  append_string_member(out, "type", ev.name());
  append_key(out, "timestamp");
  out += std::to_string(ev.time_ns());
  if (!ev.user().empty())
    append_string_member(out, "username", ev.user());
  if (ev.allowed_groups_size() > 0) {
    append_key(out, "allowed_groups");
    out += '[';
    for (int i = 0; i < ev.allowed_groups_size(); ++i) {
      if (i > 0)
        out += ',';
      append_quoted(out, ev.allowed_groups(i));
    }
    out += ']';
  }
  if (auto roles = extension(ev, seed004_roles_extension); !roles.is_null()) {
    append_key(out, "allowed_roles");
    out += detail::dump_json(roles);
  }
  if (auto ns = extension(ev, seed004_namespace_extension); !ns.is_null()) {
    append_key(out, "inventory_namespace");
    out += detail::dump_json(ns);
  }
  if (!ev.scope().empty()) {
    std::string_view scope{ev.scope()};
    const auto slash = scope.find('/');
    const auto root = scope.substr(0, slash);
    const scope_family* family = root == inventory_family.root
                                     ? &inventory_family
                                 : root == state_family.root ? &state_family
                                                             : nullptr;
    if (family && slash != std::string_view::npos) {
      auto rest = scope.substr(slash + 1);
      for (auto key : family->fields) {
        if (rest.empty())
          break;
        const auto end = rest.find('/');
        append_string_member(out, key, rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{}
                                             : rest.substr(end + 1);
      }
    }
  }
  if (ev.has_data_json()) {
    append_key(out, "data");
    out += ev.data_json();
  }
  out += '}';
  return out;
}

bool is_seed004_shape(const nlohmann::json& obj) noexcept {
  if (!obj.is_object())
    return false;
  if (obj.contains("specversion") || obj.contains("name"))
    return false;
  if (obj.contains("event_type") && obj.contains("event_id"))
    return false;
  if (auto h = obj.find("headers");
      h != obj.end() && h->is_object() && h->contains("name"))
    return false;
  return true;
}

namespace {

caf::expected<v1::Event> map_seed004(const json& obj, std::string_view pointer,
                                     const publish_limits& limits,
                                     int64_t now_ns) {
  if (!obj.is_object())
    return detail::invalid_field("an event must be a JSON object",
                                 std::string{pointer});
  v1::Event ev;
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now_ns);
  bool has_type = false;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string field = json_pointer_append(pointer, key);
    if (is_scope_key(key))
      continue; // below, as a whole
    if (v.is_null()) {
      if (key == "id" || key == "type" || key == "timestamp" ||
          key == "username" || key == "allowed_groups" ||
          key == "allowed_roles" || key == "inventory_namespace" ||
          key == "data")
        continue;
    }
    if (key == "id") {
      if (auto err = string_field(v, field, key))
        return err;
      if (!is_valid_id(v.get_ref<const std::string&>()))
        return detail::bad_id(field);
      ev.set_id(v.get_ref<const std::string&>());
    } else if (key == "type") {
      if (!v.is_string() || !is_valid_name(v.get_ref<const std::string&>()))
        return make_api_error(errc::invalid_name,
                              "type must be '.'-separated segments of "
                              "[A-Za-z0-9_-]+, at most 256 bytes",
                              field);
      ev.set_name(v.get_ref<const std::string&>());
      has_type = true;
    } else if (key == "timestamp") {
      auto ns = parse_timestamp(v, field);
      if (!ns)
        return std::move(ns.error());
      if (*ns != 0)
        ev.set_time_ns(*ns);
    } else if (key == "username") {
      if (auto err = string_field(v, field, key))
        return err;
      ev.set_user(v.get_ref<const std::string&>());
    } else if (key == "allowed_groups") {
      if (auto err = string_array(v, field, key))
        return err;
      for (const auto& g : v)
        ev.add_allowed_groups(g.get_ref<const std::string&>());
    } else if (key == "allowed_roles") {
      if (auto err = string_array(v, field, key))
        return err;
      (*ev.mutable_extensions())[std::string{seed004_roles_extension}] =
          detail::dump_json(v);
    } else if (key == "inventory_namespace") {
      if (auto err = string_field(v, field, key))
        return err;
      (*ev.mutable_extensions())[std::string{seed004_namespace_extension}] =
          detail::dump_json(v);
    } else if (key == "data") {
      ev.set_data_json(detail::dump_json(v));
    } else {
      return make_api_error(errc::unknown_field,
                            "unknown field " + key +
                                " (a 004 Event has id, type, timestamp, "
                                "username, allowed_groups, allowed_roles, "
                                "data, inventory_*, state_*)",
                            field);
    }
  }
  if (!has_type)
    return make_api_error(errc::invalid_name, "type is required",
                          json_pointer_append(pointer, "type"));
  std::vector<std::string> inventory, state;
  std::string inventory_first, state_first;
  if (auto err = collect_levels(obj, pointer, inventory_family, inventory,
                                inventory_first))
    return err;
  if (auto err = collect_levels(obj, pointer, state_family, state, state_first))
    return err;
  if (!inventory.empty() && !state.empty())
    return detail::invalid_field(
        "inventory_* and state_* fields exclude each other", state_first);
  if (!inventory.empty())
    ev.set_scope(seed004_scope(inventory_family.root, inventory));
  else if (!state.empty())
    ev.set_scope(seed004_scope(state_family.root, state));
  const auto& scope_field = inventory.empty() ? state_first : inventory_first;
  if (auto err = validate_event(ev, pointer, limits, now_ns))
    return to_seed004_error(err, pointer, scope_field);
  return ev;
}

} // namespace

caf::expected<v1::Event> decode_seed004(const nlohmann::json& obj,
                                        std::string_view pointer,
                                        const publish_limits& limits,
                                        int64_t now_ns) {
  try {
    return map_seed004(obj, pointer, limits, now_ns);
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

caf::expected<publish_batch> decode_create_event(std::string_view body,
                                                 const publish_limits& limits,
                                                 int64_t now_ns) {
  return detail::decode_body(
      body, limits,
      [&](const json& obj,
          std::string_view pointer) -> caf::expected<v1::Event> {
        if (is_seed004_shape(obj))
          return decode_seed004(obj, pointer, limits, now_ns);
        return decode_event_object(obj, pointer, limits, now_ns);
      });
}

} // namespace herald::runtime
