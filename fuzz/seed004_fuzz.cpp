// Fuzz target for the seed-004 codec (runtime/seed004_codec.hpp): the body
// decoder of `POST /internal/create-event` (decode_create_event: a 004 Event
// object or array, or any shape decode_publish takes) and the 004 writer of
// `GET /api/v1/events/query/...` (to_seed004_json_text).
//
// Input: a create-event body. Properties checked:
//  - decoding never crashes and never fails with errc::internal;
//  - an accepted batch is not empty;
//  - every accepted event, written in the native form, decodes again (the
//    native form is a create-event body too) to the same event;
//  - every accepted event's 004 form is a JSON object that is_seed004_shape;
//    when the event has nothing the 004 form cannot carry (source, tenant,
//    traceparent, binary data, a scope outside inventory|project/1-3 levels,
//    other extensions...), that form decodes again to the same event.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/util/message_differencer.h>
#include <nlohmann/json.hpp>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/seed004_codec.hpp"

namespace {

namespace rt = herald::runtime;
using herald::v1::Event;
using nlohmann::json;

constexpr int64_t fixed_now = 1795341600123456789; // 2026-11-22T10:00:00.123Z

std::string_view current_input;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "seed004_fuzz: %s\n%s\ninput: %.*s\n", what,
               detail.c_str(), static_cast<int>(current_input.size()),
               current_input.data());
  std::abort();
}

void check_error(const caf::error& err) {
  herald::fuzz::check_error_body(err, "seed004_fuzz");
  auto e = rt::describe(err);
  if (e.code == rt::errc::internal)
    fail("internal error", e.to_json());
}

bool parses_to(const std::string& text, bool (json::*is)() const noexcept) {
  auto v = json::parse(text, nullptr, false);
  return !v.is_discarded() && (v.*is)();
}

bool is_string_array(const std::string& text) {
  auto v = json::parse(text, nullptr, false);
  if (v.is_discarded() || !v.is_array())
    return false;
  for (const auto& e : v)
    if (!e.is_string())
      return false;
  return true;
}

/// Can the 004 Event object carry every field of `ev`?
bool fits_seed004(const Event& ev) {
  if (!ev.source().empty() || !ev.tenant().empty() ||
      !ev.traceparent().empty() || ev.has_origin() ||
      !ev.datacontenttype().empty() || !ev.dataschema().empty() ||
      ev.has_data_bytes() || ev.kind() != herald::v1::KIND_USER ||
      ev.time_ns() == 0)
    return false;
  if (ev.has_data_json() && ev.data_json() == "null")
    return false; // null data is absent data in 004
  for (const auto& [name, value] : ev.extensions()) {
    if (name == rt::seed004_roles_extension) {
      if (!is_string_array(value))
        return false;
    } else if (name == rt::seed004_namespace_extension) {
      if (!parses_to(value, &json::is_string))
        return false;
    } else {
      return false;
    }
  }
  if (ev.scope().empty())
    return true;
  std::string_view scope{ev.scope()};
  const auto slash = scope.find('/');
  if (slash == std::string_view::npos)
    return false;
  const auto root = scope.substr(0, slash);
  if (root != "inventory" && root != "project")
    return false;
  size_t levels = 1;
  for (char c : scope.substr(slash + 1))
    levels += c == '/';
  return levels <= 3;
}

void roundtrip(const std::string& text, const Event& ev, const char* form,
               const rt::publish_limits& limits) {
  auto again = rt::decode_create_event(text, limits, fixed_now);
  if (!again)
    fail((std::string{form} + " form rejected").c_str(),
         text + "\n" + rt::describe(again.error()).to_json());
  if (again->events.size() != 1 ||
      !google::protobuf::util::MessageDifferencer::Equals(ev, again->events[0]))
    fail((std::string{form} + " form decodes to another event").c_str(),
         text + "\nwas:   " + rt::to_native_json_text(ev) +
             "\nagain: " + rt::to_native_json_text(again->events.at(0)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  current_input = input;
  rt::publish_limits limits;
  limits.max_batch = 64;
  limits.max_event_bytes = 64 * 1024;
  auto batch = rt::decode_create_event(input, limits, fixed_now);
  if (!batch) {
    check_error(batch.error());
    return 0;
  }
  if (batch->events.empty())
    fail("accepted an empty batch", "");
  for (const auto& ev : batch->events) {
    roundtrip(rt::to_native_json_text(ev), ev, "native", limits);
    const auto text = rt::to_seed004_json_text(ev);
    auto obj = json::parse(text, nullptr, false);
    if (obj.is_discarded() || !obj.is_object())
      fail("004 form is not a JSON object", text);
    if (!rt::is_seed004_shape(obj))
      fail("004 form is not taken for a 004 Event", text);
    if (fits_seed004(ev))
      roundtrip(text, ev, "004", limits);
  }
  return 0;
}
