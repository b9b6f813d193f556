// CloudEvents 1.0 in: structured JSON (one object of a publish body) and
// binary mode over HTTP (ce-* headers + body).

#include <cctype>
#include <set>
#include <string>

#include "runtime/base64.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/event_codec_detail.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime {

namespace detail {

namespace {

using nlohmann::json;

bool is_origin_attribute(std::string_view name) {
  return name == "origintrigger" || name == "originworkflow" ||
         name == "origintask";
}

bool is_legal_attribute_name(std::string_view name) {
  if (name.empty() || name.size() > 20)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

caf::error string_required(const json& v, const std::string& field,
                           std::string_view what) {
  if (!v.is_string())
    return invalid_field(std::string{what} + " must be a string", field);
  return {};
}

} // namespace

caf::expected<v1::Event>
map_cloudevent(const json& obj, std::string_view pointer, int64_t now_ns) {
  v1::Event ev;
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now_ns);
  if (auto sv = obj.find("specversion"); sv == obj.end() || *sv != "1.0")
    return invalid_field("specversion must be \"1.0\"",
                         json_pointer_append(pointer, "specversion"));
  if (obj.contains("data") && obj.contains("data_base64"))
    return invalid_field("data and data_base64 are exclusive",
                         json_pointer_append(pointer, "data_base64"));
  for (const char* required : {"id", "source", "type"})
    if (!obj.contains(required))
      return make_api_error(errc::missing_field,
                            std::string{required} + " is required",
                            json_pointer_append(pointer, required));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string field = json_pointer_append(pointer, key);
    if (key == "specversion" || key == "heraldseq" || key == "heraldnode")
      continue; // checked above / set by Herald, ignored on publish
    if (is_origin_attribute(key))
      return make_api_error(errc::forbidden_field,
                            key + " is set by Herald only", field);
    if (key == "data") {
      if (!v.is_null())
        ev.set_data_json(dump_json(v));
      continue;
    }
    if (!is_mapped_attribute(key)) {
      if (!is_legal_attribute_name(key))
        return invalid_field("attribute names are 1-20 of [a-z0-9]", field);
      if (!v.is_null())
        (*ev.mutable_extensions())[key] = dump_json(v);
      continue;
    }
    // Every other mapped attribute is a string.
    if (key == "type" && !v.is_string())
      return make_api_error(errc::invalid_name, "type must be a string", field);
    if (auto err = string_required(v, field, key))
      return err;
    const auto& s = v.get_ref<const std::string&>();
    if (key == "id") {
      if (!is_valid_id(s))
        return bad_id(field);
      ev.set_id(s);
    } else if (key == "source") {
      if (s.empty())
        return invalid_field("source must not be empty", field);
      ev.set_source(s);
    } else if (key == "type") {
      ev.set_name(s);
    } else if (key == "subject") {
      if (s.empty())
        return make_api_error(errc::invalid_scope, "subject must not be empty",
                              field);
      ev.set_scope(s);
    } else if (key == "time") {
      auto t = parse_rfc3339(s);
      if (!t)
        return bad_time(field);
      ev.set_time_ns(*t);
    } else if (key == "datacontenttype") {
      ev.set_datacontenttype(s);
    } else if (key == "dataschema") {
      ev.set_dataschema(s);
    } else if (key == "data_base64") {
      auto bytes = decode_base64(s);
      if (!bytes)
        return invalid_field("data_base64 must be standard base64", field);
      ev.set_data_bytes(std::move(*bytes));
    } else if (key == "tenant") {
      ev.set_tenant(s);
    } else if (key == "user") {
      ev.set_user(s);
    } else if (key == "traceparent") {
      ev.set_traceparent(s);
    } else if (key == "allowedgroups") {
      if (auto err = split_allowed_groups(s, ev, field))
        return err;
    }
  }
  return ev;
}

} // namespace detail

caf::expected<publish_batch> decode_cloudevent_binary(
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view content_type, std::string_view body,
    const publish_limits& limits, int64_t now_ns) {
  using detail::invalid_field;
  try {
    v1::Event ev;
    ev.set_kind(v1::KIND_USER);
    ev.set_time_ns(now_ns);
    std::set<std::string> seen;
    std::string ce_content_type;
    for (const auto& [raw_name, raw_value] : headers) {
      std::string name;
      name.reserve(raw_name.size());
      for (char c : raw_name)
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name.size() <= 3 || name.compare(0, 3, "ce-") != 0)
        continue;
      const std::string attr = name.substr(3);
      if (!seen.insert(attr).second)
        return invalid_field(name + " is repeated", name);
      auto decoded = percent_decode(raw_value, false);
      if (!decoded || !detail::is_valid_utf8(*decoded))
        return invalid_field(name + " must be percent-encoded UTF-8", name);
      const std::string& v = *decoded;
      if (attr == "specversion") {
        if (v != "1.0")
          return invalid_field("ce-specversion must be \"1.0\"", name);
      } else if (attr == "id") {
        if (!is_valid_id(v))
          return detail::bad_id(name);
        ev.set_id(v);
      } else if (attr == "source") {
        if (v.empty())
          return invalid_field("ce-source must not be empty", name);
        ev.set_source(v);
      } else if (attr == "type") {
        ev.set_name(v);
      } else if (attr == "subject") {
        if (v.empty())
          return make_api_error(errc::invalid_scope,
                                "ce-subject must not be empty", name);
        ev.set_scope(v);
      } else if (attr == "time") {
        auto t = parse_rfc3339(v);
        if (!t)
          return detail::bad_time(name);
        ev.set_time_ns(*t);
      } else if (attr == "dataschema") {
        ev.set_dataschema(v);
      } else if (attr == "datacontenttype") {
        ce_content_type = v; // Content-Type, when given, wins
      } else if (attr == "tenant") {
        ev.set_tenant(v);
      } else if (attr == "user") {
        ev.set_user(v);
      } else if (attr == "traceparent") {
        ev.set_traceparent(v);
      } else if (attr == "allowedgroups") {
        if (auto err = detail::split_allowed_groups(v, ev, name))
          return err;
      } else if (attr == "heraldseq" || attr == "heraldnode") {
        // set by Herald, ignored on publish
      } else if (detail::is_origin_attribute(attr)) {
        return make_api_error(errc::forbidden_field,
                              name + " is set by Herald only", name);
      } else if (!is_valid_extension_name(attr)) {
        return invalid_field(name + ": extension names are 1-20 of [a-z0-9] "
                                    "and not an attribute Herald maps",
                             name);
      } else {
        (*ev.mutable_extensions())[attr] = nlohmann::json(v).dump();
      }
    }
    for (const char* required :
         {"ce-specversion", "ce-id", "ce-source", "ce-type"})
      if (seen.count(std::string{required + 3}) == 0)
        return make_api_error(errc::missing_field,
                              std::string{required} + " is required", required);
    const std::string_view ct =
        content_type.empty() ? std::string_view{ce_content_type} : content_type;
    ev.set_datacontenttype(std::string{ct});
    if (!body.empty()) {
      if (detail::is_json_media_type(ct)) {
        auto data = detail::parse_json(body, limits.max_json_depth, "");
        if (!data)
          return std::move(data.error());
        if (!data->is_null())
          ev.set_data_json(detail::dump_json(*data));
      } else {
        ev.set_data_bytes(std::string{body});
      }
    }
    if (auto err =
            detail::validate_as(ev, detail::shape::binary, "", limits, now_ns))
      return err;
    publish_batch out;
    out.events.push_back(std::move(ev));
    return out;
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

} // namespace herald::runtime
