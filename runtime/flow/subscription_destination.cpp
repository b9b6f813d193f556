// A subscription's destination (runtime/flow/subscription.hpp): where a
// URL, a header or a Slack option is refused, and why.

#include "runtime/flow/subscription.hpp"

#include <algorithm>
#include <array>

#include "runtime/errc.hpp"
#include "runtime/flow/detail.hpp"
#include "runtime/flow/template.hpp"
#include "runtime/flow/workflow.hpp"
#include "runtime/text_util.hpp"

namespace herald::flow {

namespace {

using json = nlohmann::json;
using runtime::errc;
using runtime::make_api_error;

constexpr size_t max_url = 2048;
constexpr size_t max_headers = 64;
constexpr size_t max_header_value = 8192;
constexpr size_t max_slack_username = 256;
constexpr size_t max_template = 4096;

caf::error bad(std::string message, std::string field) {
  return make_api_error(errc::invalid_field, std::move(message),
                        std::move(field));
}

template <size_t N>
bool in(const std::array<std::string_view, N>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

/// http:// or https:// with a host (workflow.hpp's check_http_url), at
/// most 2048 bytes.
caf::error check_url(std::string_view url, const std::string& field) {
  if (url.size() > max_url)
    return bad("url has more than 2048 characters", field);
  return check_http_url(url, field);
}

/// RFC 9110 token characters.
bool is_tchar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') ||
         std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

/// Headers a destination may not set: Herald writes them itself.
constexpr std::array<std::string_view, 7> reserved_headers{
    "webhook-id",       "webhook-timestamp", "webhook-signature",
    "content-type",     "content-length",    "host",
    "transfer-encoding"};

/// A slack icon: ":emoji_name:" or an http(s) URL.
bool valid_slack_icon(std::string_view icon) noexcept {
  if (icon.size() >= 3 && icon.front() == ':' && icon.back() == ':') {
    auto name = icon.substr(1, icon.size() - 2);
    return std::none_of(name.begin(), name.end(), [](unsigned char c) {
      return c == ':' || c <= 0x20 || c == 0x7f;
    });
  }
  return !check_url(icon, {});
}

caf::error parse_headers(const json& h, destination& out) {
  const std::string base = "/destination/headers";
  if (!h.is_object())
    return bad("headers is an object of header names to string values", base);
  if (h.size() > max_headers)
    return bad("at most 64 headers", base);
  for (const auto& [name, value] : h.items()) {
    auto field = runtime::json_pointer_append(base, name);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar))
      return bad("a header name is an HTTP token (letters, digits and "
                 "!#$%&'*+-.^_`|~)",
                 field);
    for (auto r : reserved_headers)
      if (ieq(name, r))
        return bad("Herald sets " + std::string{r} + " itself", field);
    for (const auto& [seen, v] : out.headers)
      if (ieq(seen, name))
        return bad("header " + name + " is given twice", field);
    if (!value.is_string())
      return bad("a header value is a string", field);
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > max_header_value)
      return bad("a header value has at most 8192 characters", field);
    for (unsigned char c : text)
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return bad("a header value holds no control characters (CR, LF, …)",
                   field);
    out.headers.emplace_back(name, text);
  }
  return {};
}

} // namespace

caf::error detail::parse_destination(const json& doc, destination& out) {
  auto d = doc.find("destination");
  if (d == doc.end())
    return make_api_error(errc::missing_field,
                          "destination ({\"type\": \"webhook\"|\"slack\", "
                          "\"url\": …}) is required",
                          "/destination");
  if (!d->is_object())
    return bad("destination is an object with type and url", "/destination");
  out = destination{};
  auto type = d->find("type");
  if (type == d->end())
    return make_api_error(errc::missing_field,
                          "type (\"webhook\" or \"slack\") is required",
                          "/destination/type");
  if (*type == "webhook")
    out.type = destination_type::webhook;
  else if (*type == "slack")
    out.type = destination_type::slack;
  else
    return bad("type is \"webhook\" or \"slack\"", "/destination/type");
  const bool webhook = out.type == destination_type::webhook;
  static constexpr std::array<std::string_view, 4> webhook_keys{
      "type", "url", "headers", "format"};
  static constexpr std::array<std::string_view, 5> slack_keys{
      "type", "url", "slack_username", "slack_icon", "template"};
  for (const auto& [key, value] : d->items())
    if (webhook ? !in(webhook_keys, key) : !in(slack_keys, key))
      return make_api_error(errc::unknown_field,
                            "unknown field of a " +
                                std::string{webhook ? "webhook" : "slack"} +
                                " destination: " + key,
                            runtime::json_pointer_append("/destination", key));
  auto url = d->find("url");
  if (url == d->end())
    return make_api_error(errc::missing_field, "url is required",
                          "/destination/url");
  if (!url->is_string())
    return bad("url is a string: http:// or https:// with a host",
               "/destination/url");
  if (auto err =
          check_url(url->get_ref<const std::string&>(), "/destination/url"))
    return err;
  out.url = url->get<std::string>();
  if (webhook) {
    if (auto h = d->find("headers"); h != d->end())
      if (auto err = parse_headers(*h, out))
        return err;
    if (auto f = d->find("format"); f != d->end()) {
      if (*f == "native")
        out.format = payload_format::native;
      else if (*f == "cloudevents")
        out.format = payload_format::cloudevents;
      else
        return bad("format is \"native\" or \"cloudevents\"",
                   "/destination/format");
    }
    return {};
  }
  // Empty username and icon are the same as none (004's shape sends both).
  if (auto u = d->find("slack_username"); u != d->end()) {
    if (!u->is_string() ||
        u->get_ref<const std::string&>().size() > max_slack_username ||
        std::any_of(u->get_ref<const std::string&>().begin(),
                    u->get_ref<const std::string&>().end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
      return bad("slack_username is a string of at most 256 characters "
                 "without control characters",
                 "/destination/slack_username");
    out.slack_username = u->get<std::string>();
  }
  if (auto i = d->find("slack_icon"); i != d->end()) {
    if (!i->is_string() ||
        (!i->get_ref<const std::string&>().empty() &&
         !valid_slack_icon(i->get_ref<const std::string&>())))
      return bad("slack_icon is \":emoji_name:\" or an http(s) URL",
                 "/destination/slack_icon");
    out.slack_icon = i->get<std::string>();
  }
  if (auto t = d->find("template"); t != d->end()) {
    if (!t->is_string() ||
        t->get_ref<const std::string&>().size() > max_template)
      return bad("template is a text of at most 4096 characters with "
                 "${event…} placeholders",
                 "/destination/template");
    out.slack_template = t->get<std::string>();
  }
  template_scope scope;
  scope.input = false;
  scope.event = true;
  scope.task = false;
  auto compiled = json_template::compile(json(out.slack_template), scope,
                                         "/destination/template");
  if (!compiled)
    return std::move(compiled.error());
  return {};
}

} // namespace herald::flow
