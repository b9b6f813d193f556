// The shapes of the systems Herald replaces: seed 001's envelope
// (Open Integration Hub) and seed 002's resource-lifecycle event
// (IBM Event Notifications).

#include <cmath>
#include <cstdint>
#include <string>

#include "runtime/event_codec.hpp"
#include "runtime/event_codec_detail.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime::detail {

namespace {

using nlohmann::json;

// createdAt: an RFC 3339 string or a number of Unix milliseconds.
caf::expected<int64_t> created_at(const json& v, const std::string& field) {
  if (v.is_string()) {
    if (auto t = parse_rfc3339(v.get_ref<const std::string&>()))
      return *t;
    return bad_time(field);
  }
  // Numbers are Unix milliseconds (JavaScript's Date.now()).
  int64_t ns = 0;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    if (__builtin_mul_overflow(v.get<int64_t>(), int64_t{1'000'000}, &ns))
      return bad_time(field);
    return ns;
  }
  if (v.is_number_unsigned()) {
    const auto ms = v.get<uint64_t>();
    if (ms > static_cast<uint64_t>(INT64_MAX / 1'000'000))
      return bad_time(field);
    return static_cast<int64_t>(ms) * 1'000'000;
  }
  if (v.is_number_float()) {
    // Whole and fractional ms apart: their product with 1e6 as one double
    // would lose the sub-microsecond digits.
    const double ms = v.get<double>();
    if (!std::isfinite(ms) || std::fabs(ms) >= 9.2e12)
      return bad_time(field);
    const double whole = std::floor(ms);
    const auto sub_ms = std::llround((ms - whole) * 1e6);
    if (__builtin_mul_overflow(static_cast<int64_t>(whole), int64_t{1'000'000},
                               &ns) ||
        __builtin_add_overflow(ns, static_cast<int64_t>(sub_ms), &ns))
      return bad_time(field);
    return ns;
  }
  return invalid_field("createdAt must be an RFC 3339 string or Unix ms",
                       field);
}

} // namespace

caf::expected<v1::Event> map_seed001(const json& obj, std::string_view pointer,
                                     int64_t now_ns) {
  v1::Event ev;
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now_ns);
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (it.key() != "headers" && it.key() != "payload")
      return make_api_error(errc::unknown_field,
                            "unknown field " + it.key() +
                                " (a 001 envelope has headers and payload)",
                            json_pointer_append(pointer, it.key()));
  const std::string headers_ptr = json_pointer_append(pointer, "headers");
  const json& headers = obj.at("headers");
  if (!headers.is_object())
    return invalid_field("headers must be an object", headers_ptr);
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string field = json_pointer_append(headers_ptr, key);
    if (key == "name") {
      if (!v.is_string())
        return make_api_error(errc::invalid_name, "name must be a string",
                              field);
      ev.set_name(v.get_ref<const std::string&>());
    } else if (key == "serviceName") {
      if (!v.is_string())
        return invalid_field("serviceName must be a string", field);
      ev.set_source(v.get_ref<const std::string&>());
    } else if (key == "createdAt") {
      auto t = created_at(v, field);
      if (!t)
        return std::move(t.error());
      ev.set_time_ns(*t);
    } else {
      return make_api_error(errc::unknown_field,
                            "unknown header " + key +
                                " (headers are serviceName, createdAt, name)",
                            field);
    }
  }
  if (auto p = obj.find("payload"); p != obj.end() && !p->is_null()) {
    ev.set_data_json(dump_json(*p));
    if (p->is_object()) {
      if (auto u = p->find("user"); u != p->end() && u->is_string())
        ev.set_user(u->get_ref<const std::string&>());
      if (auto t = p->find("tenant"); t != p->end() && t->is_string())
        ev.set_tenant(t->get_ref<const std::string&>());
    }
  }
  return ev;
}

caf::expected<v1::Event> map_seed002(const json& obj, std::string_view pointer,
                                     int64_t now_ns) {
  v1::Event ev;
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now_ns);
  const json& type = obj.at("event_type");
  if (!type.is_string())
    return make_api_error(errc::invalid_name, "event_type must be a string",
                          json_pointer_append(pointer, "event_type"));
  const auto& name = type.get_ref<const std::string&>();
  ev.set_name(name);
  ev.set_source(name.substr(0, name.find('.')));
  const json& id = obj.at("event_id");
  if (!id.is_string())
    return invalid_field("event_id must be a string",
                         json_pointer_append(pointer, "event_id"));
  if (!is_valid_id(id.get_ref<const std::string&>()))
    return make_api_error(errc::invalid_id,
                          "event_id must be 1-256 printable ASCII characters, "
                          "not starting or ending with a space",
                          json_pointer_append(pointer, "event_id"));
  ev.set_id(id.get_ref<const std::string&>());
  if (auto ts = obj.find("timestamp"); ts != obj.end() && !ts->is_null()) {
    const auto field = json_pointer_append(pointer, "timestamp");
    if (!ts->is_string())
      return invalid_field("timestamp must be an RFC 3339 string", field);
    auto t = parse_rfc3339(ts->get_ref<const std::string&>());
    if (!t)
      return bad_time(field);
    ev.set_time_ns(*t);
  }
  if (auto a = obj.find("account_id"); a != obj.end() && !a->is_null()) {
    if (!a->is_string())
      return invalid_field("account_id must be a string",
                           json_pointer_append(pointer, "account_id"));
    ev.set_tenant(a->get_ref<const std::string&>());
  }
  if (auto c = obj.find("context"); c != obj.end() && !c->is_null()) {
    const auto field = json_pointer_append(pointer, "context");
    if (!c->is_object())
      return invalid_field("context must be an object", field);
    if (auto s = c->find("subject_id"); s != c->end() && !s->is_null()) {
      if (!s->is_string())
        return invalid_field("subject_id must be a string",
                             json_pointer_append(field, "subject_id"));
      ev.set_user(s->get_ref<const std::string&>());
    }
  }
  ev.set_data_json(dump_json(obj));
  return ev;
}

} // namespace herald::runtime::detail
