#include "tools/api/query_params.hpp"

#include <charconv>

#include "runtime/event_codec.hpp"
#include "runtime/scope_path.hpp"
#include "runtime/subject.hpp"
#include "runtime/time_format.hpp"

namespace herald::api {

namespace {

using runtime::errc;
using runtime::make_api_error;

caf::error parse_time(const std::string& text, std::string_view field,
                      std::optional<int64_t>& out) {
  auto ns = runtime::parse_rfc3339(text);
  if (!ns)
    return make_api_error(errc::invalid_time,
                          std::string{field} + " must be an RFC 3339 time",
                          std::string{field});
  out = *ns;
  return {};
}

caf::error parse_exact(const http::query_string& q, std::string_view field,
                       std::optional<std::string>& out) {
  if (auto v = q.find(field)) {
    if (v->empty() || v->size() > 256)
      return make_api_error(errc::invalid_parameter,
                            std::string{field} + " must be 1-256 bytes",
                            std::string{field});
    out = *v;
  }
  return {};
}

/// The predicates queries and streams share: name, scope, filter.
caf::error parse_common(const http::query_string& q,
                        std::optional<std::string>& name,
                        std::optional<std::string>& scope,
                        std::optional<runtime::content_filter>& filter) {
  if (auto v = q.find("name")) {
    if (auto err = runtime::validate_pattern(*v, "name"))
      return err;
    name = *v;
  }
  if (auto v = q.find("scope")) {
    std::string s = *v;
    if (s.size() > 1 && s.back() == '/')
      s.pop_back(); // "inventory/test/" means the same as "inventory/test"
    if (!runtime::is_valid_scope(s))
      return make_api_error(errc::invalid_scope,
                            "scope must be '/'-separated segments of "
                            "[A-Za-z0-9._~@:+-]",
                            "scope");
    scope = std::move(s);
  }
  if (auto v = q.find("filter")) {
    auto f = runtime::content_filter::parse(std::string_view{*v}, "");
    if (!f) {
      // The field of a parameter error is the parameter's name; where in the
      // filter the problem is goes into the message.
      auto err = runtime::describe(f.error());
      auto msg = err.field.empty() ? err.message
                                   : err.message + " (at " + err.field + ")";
      return make_api_error(err.code, std::move(msg), "filter");
    }
    filter = std::move(*f);
  }
  return {};
}

} // namespace

caf::error parse_u64(const std::string& text, std::string_view field,
                     uint64_t min, uint64_t max, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() ||
      out < min || out > max)
    return runtime::make_api_error(
        runtime::errc::invalid_parameter,
        std::string{field} + " must be an integer from " + std::to_string(min) +
            " to " + std::to_string(max),
        std::string{field});
  return {};
}

/// `format`: native (default) or cloudevents.
caf::error parse_format(const http::query_string& q, bool& cloudevents) {
  if (auto v = q.find("format")) {
    if (*v == "cloudevents")
      cloudevents = true;
    else if (*v != "native")
      return make_api_error(errc::invalid_parameter,
                            "format must be native or cloudevents", "format");
  }
  return {};
}

caf::expected<event_query_request>
parse_event_query(const http::query_string& q) {
  if (auto err = check_known_params(q, {"name", "source", "tenant", "user",
                                        "scope", "since", "until", "filter",
                                        "after", "limit", "order", "format"}))
    return err;
  event_query_request req;
  if (auto err = parse_format(q, req.cloudevents))
    return err;
  auto& out = req.query;
  if (auto err = parse_common(q, out.name, out.scope, out.filter))
    return err;
  for (auto [field, slot] :
       {std::pair{"source", &out.source}, std::pair{"tenant", &out.tenant},
        std::pair{"user", &out.user}})
    if (auto err = parse_exact(q, field, *slot))
      return err;
  if (auto v = q.find("since"))
    if (auto err = parse_time(*v, "since", out.since_ns))
      return err;
  if (auto v = q.find("until"))
    if (auto err = parse_time(*v, "until", out.until_ns))
      return err;
  if (auto v = q.find("after")) {
    if (v->empty())
      return make_api_error(errc::invalid_cursor, "after must be a cursor",
                            "after");
    out.after = *v;
  }
  if (auto v = q.find("limit")) {
    uint64_t limit = 0;
    if (auto err = parse_u64(*v, "limit", 1, max_query_limit, limit))
      return err;
    out.limit = limit;
  }
  if (auto v = q.find("order")) {
    if (*v == "desc")
      out.descending = true;
    else if (*v != "asc")
      return make_api_error(errc::invalid_parameter,
                            "order must be asc or desc", "order");
  }
  return req;
}

caf::expected<actors::stream_spec>
parse_stream_spec(const http::query_string& q) {
  if (auto err = check_known_params(q, {"name", "scope", "filter", "from_seq",
                                        "since", "queue", "format"}))
    return err;
  actors::stream_spec out;
  if (auto err = parse_common(q, out.name, out.scope, out.filter))
    return err;
  auto from = q.find("from_seq");
  auto since = q.find("since");
  if (from && since)
    return make_api_error(errc::invalid_parameter,
                          "from_seq and since exclude each other", "from_seq");
  if (from) {
    uint64_t seq = 0;
    if (auto err = parse_u64(*from, "from_seq", 1, UINT64_MAX, seq))
      return err;
    out.from_seq = seq;
  }
  if (since)
    if (auto err = parse_time(*since, "since", out.since_ns))
      return err;
  if (auto v = q.find("queue")) {
    if (!runtime::is_valid_name(*v))
      return make_api_error(errc::invalid_parameter,
                            "queue must be a name of [A-Za-z0-9_-.]", "queue");
    // A queue group shares live events; replaying the history to every
    // member would deliver it once per member (docs/API.md).
    if (from || since)
      return make_api_error(errc::invalid_parameter,
                            "queue excludes from_seq and since", "queue");
    out.queue = *v;
  }
  if (auto err = parse_format(q, out.cloudevents))
    return err;
  return out;
}

caf::expected<scope_level_request>
parse_scope_level_request(const http::query_string& q) {
  if (auto err = check_known_params(q, {"parent", "after", "limit"}))
    return err;
  scope_level_request out;
  if (auto p = q.find("parent")) {
    auto parent = runtime::normalize_scope_prefix(*p);
    if (!parent.empty() && !runtime::is_valid_scope(parent))
      return make_api_error(errc::invalid_scope,
                            "parent must be '/'-separated segments of "
                            "[A-Za-z0-9._~@:+-]",
                            "parent");
    out.parent = parent;
  }
  if (auto a = q.find("after"); a && !a->empty()) {
    if (!runtime::is_child_scope(out.parent, *a))
      return make_api_error(errc::invalid_parameter,
                            "after must be a scope one segment below parent",
                            "after");
    out.after = *a;
  }
  if (auto l = q.find("limit"))
    if (auto err = parse_u64(*l, "limit", 1, max_scope_limit, out.limit))
      return err;
  return out;
}

} // namespace herald::api
