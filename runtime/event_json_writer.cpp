// Output encoders: the native JSON form and CloudEvents 1.0 structured JSON
// written straight to text. The stored `data_json` is already compact,
// valid JSON (the decoders wrote it with nlohmann's dump), so it is spliced
// in as is instead of being parsed and dumped again for every query row and
// stream frame. Keys come in DESIGN §2's order.

#include <map>

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
  w.string("source", ev.source().empty() ? std::string_view{"/herald"}
                                         : std::string_view{ev.source()});
  w.string("type", ev.name());
  w.string("time", format_rfc3339(ev.time_ns()));
  if (!ev.scope().empty())
    w.string("subject", ev.scope());
  if (!ev.datacontenttype().empty())
    w.string("datacontenttype", ev.datacontenttype());
  else if (ev.has_data_json())
    w.string("datacontenttype", "application/json");
  if (!ev.dataschema().empty())
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
    for (const auto& [name, value] : sorted)
      w.raw(name, *value);
  }
  if (ev.has_data_json())
    w.raw("data", ev.data_json());
  else if (ev.has_data_bytes())
    w.string("data_base64", encode_base64(ev.data_bytes()));
  w.close();
  return out;
}

} // namespace herald::runtime
