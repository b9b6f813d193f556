// Publish bodies (shape detection, batches) and the native JSON form.

#include "runtime/event_codec.hpp"

#include <string>

#include "runtime/base64.hpp"
#include "runtime/event_codec_detail.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"

namespace herald::runtime {

namespace detail {

namespace {

using nlohmann::json;

caf::error expect_string(const json& v, const std::string& field,
                         std::string_view what) {
  if (!v.is_string())
    return invalid_field(std::string{what} + " must be a string", field);
  return {};
}

// Sets a string field of `ev` from `v`; a wrong JSON type is invalid_field.
template <class Setter>
caf::error set_string(const json& v, const std::string& field,
                      std::string_view what, Setter&& set) {
  if (auto err = expect_string(v, field, what))
    return err;
  set(v.get_ref<const std::string&>());
  return {};
}

} // namespace

caf::expected<v1::Event> map_native(const json& obj, std::string_view pointer,
                                    int64_t now_ns) {
  v1::Event ev;
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now_ns);
  bool has_name = false;
  if (obj.contains("data") && obj.contains("data_base64"))
    return invalid_field("data and data_base64 are exclusive",
                         json_pointer_append(pointer, "data_base64"));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string field = json_pointer_append(pointer, key);
    caf::error err;
    if (key == "name") {
      if (!v.is_string())
        return make_api_error(errc::invalid_name, "name must be a string",
                              field);
      ev.set_name(v.get_ref<const std::string&>());
      has_name = true;
    } else if (key == "id") {
      if (auto e = expect_string(v, field, "id"))
        return e;
      if (!is_valid_id(v.get_ref<const std::string&>()))
        return bad_id(field);
      ev.set_id(v.get_ref<const std::string&>());
    } else if (key == "source") {
      err = set_string(v, field, key, [&](auto& s) { ev.set_source(s); });
    } else if (key == "kind") {
      if (v == "sys")
        return make_api_error(errc::forbidden_field,
                              "kind \"sys\" is reserved to Herald", field);
      if (v != "user")
        return invalid_field("kind must be \"user\"", field);
    } else if (key == "time") {
      if (auto e = expect_string(v, field, "time"))
        return e;
      auto t = parse_rfc3339(v.get_ref<const std::string&>());
      if (!t)
        return bad_time(field);
      ev.set_time_ns(*t);
    } else if (key == "tenant") {
      err = set_string(v, field, key, [&](auto& s) { ev.set_tenant(s); });
    } else if (key == "user") {
      err = set_string(v, field, key, [&](auto& s) { ev.set_user(s); });
    } else if (key == "scope") {
      // Unlike tenant/user, an empty scope is not "absent": DESIGN §7 makes
      // a scope non-empty segments, so "" is a client bug worth reporting.
      if (v.is_string() && v.get_ref<const std::string&>().empty())
        return make_api_error(errc::invalid_scope, "scope must not be empty",
                              field);
      err = set_string(v, field, key, [&](auto& s) { ev.set_scope(s); });
    } else if (key == "allowed_groups") {
      if (!v.is_array())
        return invalid_field("allowed_groups must be an array of strings",
                             field);
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string())
          return invalid_field("allowed_groups must be an array of strings",
                               field + "/" + std::to_string(i));
        ev.add_allowed_groups(v[i].get_ref<const std::string&>());
      }
    } else if (key == "data") {
      if (!v.is_null())
        ev.set_data_json(dump_json(v));
    } else if (key == "data_base64") {
      if (auto e = expect_string(v, field, "data_base64"))
        return e;
      auto bytes = decode_base64(v.get_ref<const std::string&>());
      if (!bytes)
        return invalid_field("data_base64 must be standard base64", field);
      ev.set_data_bytes(std::move(*bytes));
    } else if (key == "datacontenttype") {
      err = set_string(v, field, key,
                       [&](auto& s) { ev.set_datacontenttype(s); });
    } else if (key == "dataschema") {
      err = set_string(v, field, key, [&](auto& s) { ev.set_dataschema(s); });
    } else if (key == "traceparent") {
      err = set_string(v, field, key, [&](auto& s) { ev.set_traceparent(s); });
    } else if (key == "extensions") {
      if (!v.is_object())
        return invalid_field("extensions must be an object", field);
      auto& ext = *ev.mutable_extensions();
      for (auto e = v.begin(); e != v.end(); ++e) {
        if (!is_valid_extension_name(e.key()))
          return invalid_field(
              "extension names are 1-20 of [a-z0-9] and not an attribute "
              "Herald maps",
              json_pointer_append(field, e.key()));
        if (!e.value().is_null())
          ext[e.key()] = dump_json(e.value());
      }
    } else if (key == "seq" || key == "node") {
      // Set by Herald on accept; ignored on publish (DESIGN §7).
    } else if (key == "origin") {
      return make_api_error(errc::forbidden_field,
                            "origin is set by Herald only", field);
    } else {
      return make_api_error(errc::unknown_field, "unknown field " + key, field);
    }
    if (err)
      return err;
  }
  if (!has_name)
    return make_api_error(errc::invalid_name, "name is required",
                          json_pointer_append(pointer, "name"));
  return ev;
}

} // namespace detail

namespace {

caf::expected<v1::Event> decode_element(const nlohmann::json& obj,
                                        std::string_view pointer,
                                        const publish_limits& limits,
                                        int64_t now_ns) {
  using detail::shape;
  if (!obj.is_object())
    return detail::invalid_field("an event must be a JSON object",
                                 std::string{pointer});
  caf::expected<v1::Event> ev{v1::Event{}};
  shape s = shape::native;
  if (obj.contains("specversion")) {
    s = shape::cloudevent;
    ev = detail::map_cloudevent(obj, pointer, now_ns);
  } else if (obj.contains("event_type") && obj.contains("event_id")) {
    s = shape::seed002;
    ev = detail::map_seed002(obj, pointer, now_ns);
  } else if (auto h = obj.find("headers");
             h != obj.end() && h->is_object() && h->contains("name")) {
    s = shape::seed001;
    ev = detail::map_seed001(obj, pointer, now_ns);
  } else {
    ev = detail::map_native(obj, pointer, now_ns);
  }
  if (!ev)
    return ev;
  if (auto err = detail::validate_as(*ev, s, pointer, limits, now_ns))
    return err;
  return ev;
}

} // namespace

namespace detail {

caf::expected<publish_batch> decode_body(std::string_view body,
                                         const publish_limits& limits,
                                         const element_decoder& decode_one) {
  try {
    auto doc = parse_json(body, limits.max_json_depth, "");
    if (!doc)
      return std::move(doc.error());
    publish_batch out;
    if (doc->is_object()) {
      auto ev = decode_one(*doc, "");
      if (!ev)
        return std::move(ev.error());
      out.events.push_back(std::move(*ev));
      return out;
    }
    if (!doc->is_array())
      return invalid_field(
          "the body must be an event object or an array of them", "");
    out.is_array = true;
    if (doc->empty())
      return invalid_field("empty batch", "");
    if (doc->size() > limits.max_batch)
      return make_api_error(errc::too_large,
                            "batch of " + std::to_string(doc->size()) +
                                " events, over the limit of " +
                                std::to_string(limits.max_batch),
                            "");
    out.events.reserve(doc->size());
    for (size_t i = 0; i < doc->size(); ++i) {
      auto ev = decode_one((*doc)[i], "/" + std::to_string(i));
      if (!ev)
        return std::move(ev.error());
      out.events.push_back(std::move(*ev));
    }
    return out;
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

} // namespace detail

caf::expected<publish_batch> decode_publish(std::string_view body,
                                            const publish_limits& limits,
                                            int64_t now_ns) {
  return detail::decode_body(
      body, limits, [&](const nlohmann::json& obj, std::string_view pointer) {
        return decode_element(obj, pointer, limits, now_ns);
      });
}

caf::expected<v1::Event> decode_event_object(const nlohmann::json& obj,
                                             std::string_view pointer,
                                             const publish_limits& limits,
                                             int64_t now_ns) {
  try {
    return decode_element(obj, pointer, limits, now_ns);
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

caf::expected<v1::Event> decode_native(const nlohmann::json& obj,
                                       std::string_view pointer,
                                       int64_t now_ns) {
  try {
    if (!obj.is_object())
      return detail::invalid_field("an event must be a JSON object",
                                   std::string{pointer});
    return detail::map_native(obj, pointer, now_ns);
  } catch (const std::exception& e) {
    return make_api_error(errc::internal, e.what());
  }
}

nlohmann::json to_native_json(const v1::Event& ev) {
  using nlohmann::json;
  // Stored JSON text is parsed back; text that is not JSON (never written by
  // the decoders) is shown as a string rather than dropped.
  auto parse_back = [](const std::string& text) {
    auto v = json::parse(text, nullptr, false);
    return v.is_discarded() ? json(text) : v;
  };
  json out = json::object();
  if (!ev.id().empty())
    out["id"] = ev.id();
  out["name"] = ev.name();
  if (!ev.source().empty())
    out["source"] = ev.source();
  out["kind"] = ev.kind() == v1::KIND_SYS ? "sys" : "user";
  out["time"] = format_rfc3339(ev.time_ns());
  if (!ev.tenant().empty())
    out["tenant"] = ev.tenant();
  if (!ev.user().empty())
    out["user"] = ev.user();
  if (!ev.scope().empty())
    out["scope"] = ev.scope();
  if (ev.allowed_groups_size() > 0) {
    auto& groups = out["allowed_groups"] = json::array();
    for (const auto& g : ev.allowed_groups())
      groups.push_back(g);
  }
  if (ev.has_data_json())
    out["data"] = parse_back(ev.data_json());
  else if (ev.has_data_bytes())
    out["data_base64"] = encode_base64(ev.data_bytes());
  if (!ev.datacontenttype().empty())
    out["datacontenttype"] = ev.datacontenttype();
  if (!ev.dataschema().empty())
    out["dataschema"] = ev.dataschema();
  if (!ev.traceparent().empty())
    out["traceparent"] = ev.traceparent();
  if (ev.has_origin()) {
    json origin = json::object();
    const auto& o = ev.origin();
    if (!o.trigger_id().empty())
      origin["trigger_id"] = o.trigger_id();
    if (!o.workflow_id().empty())
      origin["workflow_id"] = o.workflow_id();
    if (!o.task_id().empty())
      origin["task_id"] = o.task_id();
    if (!origin.empty())
      out["origin"] = std::move(origin);
  }
  if (!ev.extensions().empty()) {
    json ext = json::object();
    for (const auto& [name, value] : ev.extensions())
      ext[name] = parse_back(value);
    out["extensions"] = std::move(ext);
  }
  if (ev.seq() != 0)
    out["seq"] = ev.seq();
  if (!ev.node().empty())
    out["node"] = ev.node();
  return out;
}

v1::Event make_system_event(std::string name, const nlohmann::json& data,
                            int64_t now_ns) {
  v1::Event ev;
  ev.set_id(new_uuid_v7(now_ns));
  ev.set_name(std::move(name));
  ev.set_source("herald");
  ev.set_kind(v1::KIND_SYS);
  ev.set_time_ns(now_ns);
  if (!data.is_null())
    ev.set_data_json(detail::dump_json(data));
  return ev;
}

} // namespace herald::runtime
