// Output encoders: the native JSON form and CloudEvents 1.0 structured JSON
// written straight to text. The stored `data_json` is already compact,
// valid JSON (the decoders wrote it with nlohmann's dump), so it is spliced
// in as is instead of being parsed and dumped again for every query row and
// stream frame. Keys come in DESIGN §2's order.

#include <climits>
#include <cstdint>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "runtime/base64.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime {

namespace {

/// Appends the JSON string literal for `value`; invalid UTF-8 becomes U+FFFD.
void append_quoted(std::string& out, std::string_view value) {
  bool plain = true;
  for (unsigned char c : value)
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      plain = false;
      break;
    }
  if (plain) {
    out += '"';
    out += value;
    out += '"';
    return;
  }
  out += nlohmann::json(std::string{value})
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// Writes one JSON object member by member.
class object_writer {
public:
  explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }

  void string(std::string_view key, std::string_view value) {
    key_(key);
    append_quoted(out_, value);
  }
  void number(std::string_view key, uint64_t value) {
    key_(key);
    out_ += std::to_string(value);
  }
  /// `json_text` must be valid JSON: stored data and extension values are
  /// (only the decoders write them, through nlohmann's dump).
  void raw(std::string_view key, std::string_view json_text) {
    key_(key);
    out_ += json_text;
  }
  void close() { out_ += '}'; }

private:
  void key_(std::string_view key) {
    if (!first_)
      out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key; // fixed ASCII names or validated extension names
    out_ += "\":";
  }

  std::string& out_;
  bool first_ = true;
};

// CloudEvents output must validate in strict SDKs (the official JavaScript
// SDK in tests/cloudevents-sdk): `source` is a URI-reference, `dataschema`
// a URI, extension values of the CloudEvents type system.

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}
bool is_sub_delim(char c) {
  return std::string_view{"!$&'()*+,;="}.find(c) != std::string_view::npos;
}

/// Is every character of `text` unreserved, a sub-delim, one of `extra`,
/// or part of a %XX escape (RFC 3986)?
bool uri_chars_ok(std::string_view text, std::string_view extra) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2]))
        return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c) &&
               extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

/// Length of a valid `scheme:` prefix of `text` (0 when there is none).
/// A ':' before the first '/', '?', '#' must end a scheme.
std::optional<size_t> scheme_length(std::string_view text) {
  const auto colon = text.find(':');
  const auto delim = text.find_first_of("/?#");
  if (colon == std::string_view::npos || colon > delim)
    return 0;
  if (colon == 0 || !is_alpha(text[0]))
    return std::nullopt;
  for (size_t i = 1; i < colon; ++i)
    if (!is_alpha(text[i]) && !is_digit(text[i]) && text[i] != '+' &&
        text[i] != '-' && text[i] != '.')
      return std::nullopt;
  return colon + 1;
}

/// RFC 3986 URI-reference (IP-literal hosts excepted: '[' is refused).
/// `absolute` additionally requires a scheme (a URI).
bool is_uri_reference(std::string_view text, bool absolute) {
  auto scheme = scheme_length(text);
  if (!scheme || (absolute && *scheme == 0))
    return false;
  auto rest = text.substr(*scheme);
  const auto hash = rest.find('#');
  if (hash != std::string_view::npos &&
      !uri_chars_ok(rest.substr(hash + 1), ":@/?"))
    return false;
  auto before_fragment = rest.substr(0, hash);
  const auto query = before_fragment.find('?');
  if (query != std::string_view::npos &&
      !uri_chars_ok(before_fragment.substr(query + 1), ":@/?"))
    return false;
  auto hier = before_fragment.substr(0, query);
  if (hier.starts_with("//")) {
    hier.remove_prefix(2);
    const auto end = hier.find('/');
    auto authority = hier.substr(0, end);
    hier =
        end == std::string_view::npos ? std::string_view{} : hier.substr(end);
    const auto at = authority.find('@');
    if (at != std::string_view::npos) {
      if (!uri_chars_ok(authority.substr(0, at), ":"))
        return false;
      authority.remove_prefix(at + 1);
    }
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      for (char c : authority.substr(colon + 1))
        if (!is_digit(c))
          return false;
      authority = authority.substr(0, colon);
    }
    if (!uri_chars_ok(authority, ""))
      return false;
  }
  return uri_chars_ok(hier, ":@/");
}

/// `source` as a URI-reference: as it is when it is one, else every byte
/// but unreserved characters and '/' percent-encoded (a relative reference).
std::string cloudevent_source(std::string_view source) {
  if (is_uri_reference(source, false))
    return std::string{source};
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : source) {
    if (is_unreserved(c) || c == '/') {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0xF];
    }
  }
  return out;
}

/// An extension value (stored JSON text) in the CloudEvents type system:
/// strings, booleans and 32-bit integers as they are; anything else
/// (fractions, larger numbers, objects, arrays) as a string of its JSON.
void append_extension_value(std::string& out, std::string_view json_text) {
  const char first = json_text.empty() ? '\0' : json_text.front();
  bool legal = first == '"' || json_text == "true" || json_text == "false";
  if (!legal && (first == '-' || is_digit(first)) &&
      json_text.find_first_of(".eE") == std::string_view::npos &&
      json_text.size() <= 11) {
    const auto v = std::stoll(std::string{json_text});
    legal = v >= INT32_MIN && v <= INT32_MAX;
  }
  if (legal)
    out += json_text;
  else
    append_quoted(out, json_text);
}

} // namespace

std::string to_native_json_text(const v1::Event& ev) {
  std::string out;
  out.reserve(256 + ev.data_json().size() + ev.data_bytes().size() * 4 / 3);
  object_writer w{out};
  if (!ev.id().empty())
    w.string("id", ev.id());
  w.string("name", ev.name());
  if (!ev.source().empty())
    w.string("source", ev.source());
  w.string("kind", ev.kind() == v1::KIND_SYS ? "sys" : "user");
  w.string("time", format_rfc3339(ev.time_ns()));
  if (!ev.tenant().empty())
    w.string("tenant", ev.tenant());
  if (!ev.user().empty())
    w.string("user", ev.user());
  if (!ev.scope().empty())
    w.string("scope", ev.scope());
  if (ev.allowed_groups_size() > 0) {
    std::string groups = "[";
    for (int i = 0; i < ev.allowed_groups_size(); ++i) {
      if (i > 0)
        groups += ',';
      append_quoted(groups, ev.allowed_groups(i));
    }
    groups += ']';
    w.raw("allowed_groups", groups);
  }
  if (ev.has_data_json())
    w.raw("data", ev.data_json());
  else if (ev.has_data_bytes())
    w.string("data_base64", encode_base64(ev.data_bytes()));
  if (!ev.datacontenttype().empty())
    w.string("datacontenttype", ev.datacontenttype());
  if (!ev.dataschema().empty())
    w.string("dataschema", ev.dataschema());
  if (!ev.traceparent().empty())
    w.string("traceparent", ev.traceparent());
  if (ev.has_origin()) {
    const auto& o = ev.origin();
    if (!o.trigger_id().empty() || !o.workflow_id().empty() ||
        !o.task_id().empty()) {
      std::string origin;
      object_writer ow{origin};
      if (!o.trigger_id().empty())
        ow.string("trigger_id", o.trigger_id());
      if (!o.workflow_id().empty())
        ow.string("workflow_id", o.workflow_id());
      if (!o.task_id().empty())
        ow.string("task_id", o.task_id());
      ow.close();
      w.raw("origin", origin);
    }
  }
  if (!ev.extensions().empty()) {
    // Sorted, so the output does not depend on the protobuf map's order.
    std::map<std::string_view, const std::string*> sorted;
    for (const auto& [name, value] : ev.extensions())
      sorted.emplace(name, &value);
    std::string ext;
    object_writer ew{ext};
    for (const auto& [name, value] : sorted)
      ew.raw(name, *value);
    ew.close();
    w.raw("extensions", ext);
  }
  if (ev.seq() != 0)
    w.number("seq", ev.seq());
  if (!ev.node().empty())
    w.string("node", ev.node());
  w.close();
  return out;
}

std::string to_cloudevent_json_text(const v1::Event& ev) {
  std::string out;
  out.reserve(256 + ev.data_json().size() + ev.data_bytes().size() * 4 / 3);
  object_writer w{out};
  w.string("specversion", "1.0");
  w.string("id", ev.id());
  w.string("source", ev.source().empty() ? std::string{"/herald"}
                                         : cloudevent_source(ev.source()));
  w.string("type", ev.name());
  w.string("time", format_rfc3339(ev.time_ns()));
  if (!ev.scope().empty())
    w.string("subject", ev.scope());
  if (!ev.datacontenttype().empty())
    w.string("datacontenttype", ev.datacontenttype());
  else if (ev.has_data_json())
    w.string("datacontenttype", "application/json");
  // A dataschema that is not an absolute URI has no CloudEvents form.
  if (!ev.dataschema().empty() && is_uri_reference(ev.dataschema(), true))
    w.string("dataschema", ev.dataschema());
  if (ev.seq() != 0)
    w.number("heraldseq", ev.seq());
  if (!ev.node().empty())
    w.string("heraldnode", ev.node());
  if (ev.allowed_groups_size() > 0) {
    std::string joined;
    for (int i = 0; i < ev.allowed_groups_size(); ++i) {
      if (i > 0)
        joined += ',';
      joined += ev.allowed_groups(i);
    }
    w.string("allowedgroups", joined);
  }
  if (ev.has_origin()) {
    const auto& o = ev.origin();
    if (!o.trigger_id().empty())
      w.string("origintrigger", o.trigger_id());
    if (!o.workflow_id().empty())
      w.string("originworkflow", o.workflow_id());
    if (!o.task_id().empty())
      w.string("origintask", o.task_id());
  }
  if (!ev.tenant().empty())
    w.string("tenant", ev.tenant());
  if (!ev.user().empty())
    w.string("user", ev.user());
  if (!ev.traceparent().empty())
    w.string("traceparent", ev.traceparent());
  if (!ev.extensions().empty()) {
    std::map<std::string_view, const std::string*> sorted;
    for (const auto& [name, value] : ev.extensions())
      sorted.emplace(name, &value);
    for (const auto& [name, value] : sorted) {
      std::string text;
      append_extension_value(text, *value);
      w.raw(name, text);
    }
  }
  if (ev.has_data_json())
    w.raw("data", ev.data_json());
  else if (ev.has_data_bytes())
    w.string("data_base64", encode_base64(ev.data_bytes()));
  w.close();
  return out;
}

} // namespace herald::runtime
