#include "runtime/native_event_reader.hpp"

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"

namespace herald::runtime {

namespace {

caf::error bad(std::string_view pointer, std::string_view field,
               std::string message) {
  return make_api_error(errc::invalid_field, std::move(message),
                        std::string{pointer} + "/" + std::string{field});
}

} // namespace

caf::expected<v1::Event> read_native_event(const nlohmann::json& obj,
                                           std::string_view pointer) {
  using nlohmann::json;
  if (!obj.is_object())
    return make_api_error(errc::invalid_field, "an event must be an object",
                          std::string{pointer});
  // What only a node writes is taken out here; the rest is the native form
  // a client may publish, which decode_native maps.
  json rest = obj;
  const auto seq = rest.find("seq");
  // A parsed positive number is unsigned; one built in code may be signed.
  const bool positive =
      seq != rest.end() &&
      (seq->is_number_unsigned()
           ? seq->get<uint64_t>() > 0
           : seq->is_number_integer() && seq->get<int64_t>() > 0);
  if (!positive)
    return bad(pointer, "seq", "seq must be a positive integer");
  const uint64_t seq_value = seq->get<uint64_t>();
  rest.erase(seq);
  const auto node = rest.find("node");
  if (node == rest.end() || !node->is_string() ||
      node->get_ref<const std::string&>().empty())
    return bad(pointer, "node", "node must be a non-empty string");
  std::string node_value = node->get<std::string>();
  rest.erase(node);
  bool sys = false;
  if (auto kind = rest.find("kind"); kind != rest.end()) {
    if (*kind == "sys")
      sys = true;
    else if (*kind != "user")
      return bad(pointer, "kind", "kind must be user or sys");
    rest.erase(kind);
  }
  v1::Origin origin;
  bool has_origin = false;
  if (auto o = rest.find("origin"); o != rest.end()) {
    if (!o->is_object())
      return bad(pointer, "origin", "origin must be an object");
    for (const auto& [key, value] : o->items()) {
      if (!value.is_string())
        return bad(pointer, "origin/" + key, "must be a string");
      const auto& text = value.get_ref<const std::string&>();
      if (key == "trigger_id")
        origin.set_trigger_id(text);
      else if (key == "workflow_id")
        origin.set_workflow_id(text);
      else if (key == "task_id")
        origin.set_task_id(text);
      else
        return make_api_error(errc::unknown_field, "unknown origin field",
                              std::string{pointer} + "/origin/" + key);
    }
    has_origin = true;
    rest.erase(o);
  }
  auto ev = decode_native(rest, pointer, 0);
  if (!ev)
    return ev;
  ev->set_seq(seq_value);
  ev->set_node(std::move(node_value));
  ev->set_kind(sys ? v1::KIND_SYS : v1::KIND_USER);
  if (has_origin)
    *ev->mutable_origin() = std::move(origin);
  return ev;
}

} // namespace herald::runtime
