// Validation shared by every event shape, and the small syntax checks and
// JSON helpers the codecs have in common.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "runtime/event_codec.hpp"
#include "runtime/event_codec_detail.hpp"
#include "runtime/subject.hpp"
#include "runtime/uuid.hpp"

namespace herald::runtime {

namespace detail {

namespace {

constexpr size_t max_text_bytes = 256; // source, tenant, user, one group
constexpr size_t max_groups = 64;      // allowed_groups entries
constexpr size_t max_scope_bytes = 1024;

struct field_alias {
  std::string_view native;
  std::string_view shaped;
};

// How each shape spells the native fields that can fail validation.
constexpr std::array<field_alias, 3> cloudevent_aliases{{
    {"name", "type"},
    {"scope", "subject"},
    {"allowed_groups", "allowedgroups"},
}};

constexpr std::array<field_alias, 6> seed001_aliases{{
    {"data", "payload"},
    {"name", "headers/name"},
    {"source", "headers/serviceName"},
    {"time", "headers/createdAt"},
    {"user", "payload/user"},
    {"tenant", "payload/tenant"},
}};

constexpr std::array<field_alias, 6> seed002_aliases{{
    {"name", "event_type"},
    {"source", "event_type"},
    {"id", "event_id"},
    {"time", "timestamp"},
    {"tenant", "account_id"},
    {"user", "context/subject_id"},
}};

constexpr std::array<field_alias, 12> binary_aliases{{
    {"name", "ce-type"},
    {"id", "ce-id"},
    {"source", "ce-source"},
    {"scope", "ce-subject"},
    {"time", "ce-time"},
    {"tenant", "ce-tenant"},
    {"user", "ce-user"},
    {"traceparent", "ce-traceparent"},
    {"allowed_groups", "ce-allowedgroups"},
    {"dataschema", "ce-dataschema"},
    {"datacontenttype", "content-type"},
    {"data", ""},
}};

template <size_t N>
std::optional<std::string_view> alias(const std::array<field_alias, N>& table,
                                      std::string_view field) {
  for (const auto& a : table)
    if (a.native == field)
      return a.shaped;
  return std::nullopt;
}

// "allowed_groups/3" -> "allowed_groups"; "extensions/x" -> "extensions".
std::string_view head(std::string_view field) {
  return field.substr(0, field.find('/'));
}

std::string join(std::string_view pointer, std::string_view rest) {
  std::string out{pointer};
  if (!rest.empty()) {
    out += '/';
    out += rest;
  }
  return out;
}

caf::error check_text(const std::string& value, std::string_view what,
                      const std::string& field) {
  if (value.size() > max_text_bytes || !is_valid_utf8(value))
    return invalid_field(
        std::string{what} + " must be at most 256 bytes of UTF-8", field);
  return {};
}

} // namespace

std::string error_field(shape s, std::string_view pointer,
                        std::string_view native_field) {
  const auto h = head(native_field);
  switch (s) {
  case shape::native:
    return join(pointer, native_field);
  case shape::cloudevent:
    if (h == "extensions")
      return join(pointer, native_field.substr(h.size() + 1));
    if (auto a = alias(cloudevent_aliases, h))
      return join(pointer, *a);
    return join(pointer, native_field);
  case shape::seed001:
    if (auto a = alias(seed001_aliases, native_field))
      return join(pointer, *a);
    return std::string{pointer};
  case shape::seed002:
    if (auto a = alias(seed002_aliases, native_field))
      return join(pointer, *a);
    return std::string{pointer};
  case shape::binary:
    if (h == "extensions")
      return "ce-" + std::string{native_field.substr(h.size() + 1)};
    if (auto a = alias(binary_aliases, h))
      return std::string{*a};
    return {};
  }
  return std::string{pointer};
}

caf::error validate_as(v1::Event& ev, shape s, std::string_view pointer,
                       const publish_limits& limits, int64_t now_ns) {
  auto field = [&](std::string_view f) { return error_field(s, pointer, f); };
  if (!is_valid_name(ev.name()))
    return make_api_error(errc::invalid_name,
                          ev.name().empty()
                              ? "name is required"
                              : "name must be '.'-separated segments of "
                                "[A-Za-z0-9_-]+, at most 256 bytes",
                          field("name"));
  if (ev.id().empty())
    ev.set_id(new_uuid_v7(now_ns));
  else if (!is_valid_id(ev.id()))
    return make_api_error(errc::invalid_id,
                          "id must be 1-256 printable ASCII characters, not "
                          "starting or ending with a space",
                          field("id"));
  if (ev.time_ns() == 0)
    ev.set_time_ns(now_ns);
  if (auto err = check_text(ev.source(), "source", field("source")))
    return err;
  if (auto err = check_text(ev.tenant(), "tenant", field("tenant")))
    return err;
  if (auto err = check_text(ev.user(), "user", field("user")))
    return err;
  if (!ev.scope().empty() && !is_valid_scope(ev.scope()))
    return make_api_error(errc::invalid_scope,
                          "scope must be '/'-separated non-empty segments of "
                          "[A-Za-z0-9._~@:+-], at most 1024 bytes",
                          field("scope"));
  if (static_cast<size_t>(ev.allowed_groups_size()) > max_groups)
    return invalid_field("allowed_groups has more than 64 entries",
                         field("allowed_groups"));
  for (int i = 0; i < ev.allowed_groups_size(); ++i) {
    const auto& group = ev.allowed_groups(i);
    if (group.empty() || group.size() > max_text_bytes || !is_valid_utf8(group))
      return invalid_field("a group must be 1-256 bytes of UTF-8",
                           field("allowed_groups/" + std::to_string(i)));
  }
  if (!ev.traceparent().empty() && !is_valid_traceparent(ev.traceparent()))
    return invalid_field("traceparent must be W3C trace context "
                         "(00-<32 hex>-<16 hex>-<2 hex>, lower case)",
                         field("traceparent"));
  if (!is_valid_utf8(ev.datacontenttype()))
    return invalid_field("datacontenttype must be UTF-8",
                         field("datacontenttype"));
  if (!is_valid_utf8(ev.dataschema()))
    return invalid_field("dataschema must be UTF-8", field("dataschema"));
  // Nesting bounds that keep every accepted event publishable again in its
  // native form inside a batch: [ {"data": D, "extensions": {"x": E}} ].
  const size_t max_depth = limits.max_json_depth;
  const size_t max_data_depth = max_depth > 2 ? max_depth - 2 : 0;
  const size_t max_ext_depth = max_depth > 3 ? max_depth - 3 : 0;
  for (const auto& [name, value] : ev.extensions()) {
    const auto ext_field = field(json_pointer_append("extensions", name));
    if (!is_valid_extension_name(name) || !is_valid_utf8(value))
      return invalid_field("extension names are 1-20 of [a-z0-9] and not an "
                           "attribute Herald maps",
                           ext_field);
    if (!json_depth_ok(value, max_ext_depth))
      return make_api_error(errc::invalid_json,
                            "extension value nests deeper than " +
                                std::to_string(max_ext_depth) + " levels",
                            ext_field);
  }
  if (ev.has_data_json()) {
    if (!is_valid_utf8(ev.data_json()))
      return invalid_field("data must be UTF-8", field("data"));
    if (!json_depth_ok(ev.data_json(), max_data_depth))
      return make_api_error(errc::invalid_json,
                            "data nests deeper than " +
                                std::to_string(max_data_depth) + " levels",
                            field("data"));
  }
  const auto& o = ev.origin();
  if (!is_valid_utf8(o.trigger_id()) || !is_valid_utf8(o.workflow_id()) ||
      !is_valid_utf8(o.task_id()) || !is_valid_utf8(ev.node()))
    return invalid_field("origin and node must be UTF-8", field("origin"));
  const size_t size = ev.ByteSizeLong();
  if (size > limits.max_event_bytes)
    return make_api_error(errc::too_large,
                          "event is " + std::to_string(size) +
                              " bytes serialized, over the limit of " +
                              std::to_string(limits.max_event_bytes),
                          field(""));
  return {};
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n)
      return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    p += n + 1;
  }
  return true;
}

bool json_depth_ok(std::string_view text, size_t max_depth) noexcept {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

caf::expected<nlohmann::json> parse_json(std::string_view text,
                                         size_t max_depth, std::string field) {
  if (!json_depth_ok(text, max_depth))
    return make_api_error(errc::invalid_json,
                          "JSON nests deeper than " +
                              std::to_string(max_depth) + " levels",
                          std::move(field));
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (auto pos = what.find("] "); pos != std::string::npos)
      what.erase(0, pos + 2);
    return make_api_error(errc::invalid_json, "not valid JSON: " + what,
                          std::move(field));
  }
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_json_media_type(std::string_view content_type) noexcept {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  std::string lower;
  lower.reserve(type.size());
  for (char c : type)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "application/json" || lower == "text/json")
    return true;
  const auto slash = lower.find('/');
  return slash != std::string::npos && slash > 0 && lower.size() > 5 &&
         lower.compare(lower.size() - 5, 5, "+json") == 0 &&
         slash + 1 < lower.size() - 5;
}

bool is_mapped_attribute(std::string_view name) noexcept {
  static constexpr std::string_view mapped[] = {
      "specversion",
      "id",
      "source",
      "type",
      "subject",
      "time",
      "datacontenttype",
      "dataschema",
      "data",
      "data_base64",
      "tenant",
      "user",
      "traceparent",
      "allowedgroups",
      "heraldseq",
      "heraldnode",
      "origintrigger",
      "originworkflow",
      "origintask",
  };
  return std::find(std::begin(mapped), std::end(mapped), name) !=
         std::end(mapped);
}

caf::error split_allowed_groups(std::string_view joined, v1::Event& ev,
                                const std::string& field) {
  if (joined.empty())
    return {};
  size_t start = 0;
  while (true) {
    const size_t comma = joined.find(',', start);
    auto entry = joined.substr(start, comma == std::string_view::npos
                                          ? std::string_view::npos
                                          : comma - start);
    while (!entry.empty() && entry.front() == ' ')
      entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ')
      entry.remove_suffix(1);
    if (entry.empty())
      return invalid_field("allowedgroups has an empty entry", field);
    ev.add_allowed_groups(std::string{entry});
    if (comma == std::string_view::npos)
      return {};
    start = comma + 1;
  }
}

} // namespace detail

caf::error validate_event(v1::Event& ev, std::string_view pointer,
                          const publish_limits& limits, int64_t now_ns) {
  try {
    return detail::validate_as(ev, detail::shape::native, pointer, limits,
                               now_ns);
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

bool is_valid_scope(std::string_view scope) noexcept {
  if (scope.empty() || scope.size() > detail::max_scope_bytes)
    return false;
  bool segment_empty = true;
  for (char c : scope) {
    if (c == '/') {
      if (segment_empty)
        return false;
      segment_empty = true;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '~' || c == '@' || c == ':' || c == '+' || c == '-';
    if (!ok)
      return false;
    segment_empty = false;
  }
  return !segment_empty;
}

bool is_valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 256 || id.front() == ' ' || id.back() == ' ')
    return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool is_valid_traceparent(std::string_view tp) noexcept {
  // vv-tttttttttttttttttttttttttttttttt-pppppppppppppppp-ff
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
    return false;
  auto lower_hex = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
  };
  auto all_zero = [](std::string_view s) {
    return s.find_first_not_of('0') == std::string_view::npos;
  };
  const auto version = tp.substr(0, 2);
  const auto trace_id = tp.substr(3, 32);
  const auto parent_id = tp.substr(36, 16);
  const auto flags = tp.substr(53, 2);
  return lower_hex(version) && lower_hex(trace_id) && lower_hex(parent_id) &&
         lower_hex(flags) && version != "ff" && !all_zero(trace_id) &&
         !all_zero(parent_id);
}

bool is_valid_extension_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 20)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  return !detail::is_mapped_attribute(name);
}

} // namespace herald::runtime
