#include "runtime/flow/subscription.hpp"

#include <algorithm>
#include <array>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/detail.hpp"
#include "runtime/subject.hpp"
#include "runtime/text_util.hpp"

namespace herald::flow {

namespace {

using json = nlohmann::json;
using runtime::errc;
using runtime::make_api_error;

constexpr size_t max_rules = 100;
constexpr size_t max_description = 1024;
constexpr size_t max_source = 256; // as an event's source
constexpr size_t max_topic_id = 128;
constexpr uint32_t max_attempts_limit = 100;
constexpr millis one_day{std::chrono::hours{24}};

caf::error bad(std::string message, std::string field) {
  return make_api_error(errc::invalid_field, std::move(message),
                        std::move(field));
}

caf::error unknown(std::string_view what, std::string_view base,
                   const std::string& key) {
  return make_api_error(errc::unknown_field,
                        "unknown field of " + std::string{what} + ": " + key,
                        runtime::json_pointer_append(base, key));
}

template <size_t N>
bool in(const std::array<std::string_view, N>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

/// The members Herald keeps with a stored subscription (server_fields).
constexpr std::array<std::string_view, 7> server_keys{
    "created_by",
    "incarnation",
    "start_seq",
    "start_node",
    "secret",
    "previous_secret",
    "previous_secret_until_ns"};

/// A JSON integer ≥ 0 (parsed documents hold unsigned numbers, built ones
/// may hold signed).
bool is_count(const json& v) noexcept {
  return v.is_number_unsigned() ||
         (v.is_number_integer() && v.get<int64_t>() >= 0);
}

bool valid_topic_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_topic_id)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

caf::expected<std::optional<runtime::content_filter>>
parse_filter(const json& doc, const std::string& field) {
  auto it = doc.find("filter");
  if (it == doc.end())
    return std::optional<runtime::content_filter>{};
  if (!it->is_object())
    return make_api_error(errc::invalid_filter, "a filter is a JSON object",
                          field);
  auto f = runtime::content_filter::parse(*it, field);
  if (!f)
    return std::move(f.error());
  return std::optional<runtime::content_filter>{std::move(*f)};
}

caf::error check_description(const json& doc) {
  auto d = doc.find("description");
  if (d != doc.end() &&
      (!d->is_string() ||
       d->get_ref<const std::string&>().size() > max_description))
    return bad("description is a string of at most 1024 characters",
               "/description");
  return {};
}

caf::expected<topic_rule> parse_rule(const json& doc, const std::string& at) {
  if (!doc.is_object())
    return bad("a rule is an object with source, name and/or filter", at);
  static constexpr std::array<std::string_view, 3> keys{"source", "name",
                                                        "filter"};
  for (const auto& [key, value] : doc.items())
    if (!in(keys, key))
      return unknown("a topic rule", at, key);
  topic_rule r;
  if (auto s = doc.find("source"); s != doc.end()) {
    if (!s->is_string() || s->get_ref<const std::string&>().empty() ||
        s->get_ref<const std::string&>().size() > max_source)
      return bad("source is a non-empty string of at most 256 characters",
                 at + "/source");
    r.source = s->get<std::string>();
  }
  if (auto n = doc.find("name"); n != doc.end()) {
    if (!n->is_string())
      return make_api_error(errc::invalid_pattern,
                            "name is an event name pattern string",
                            at + "/name");
    if (auto err = runtime::validate_pattern(n->get_ref<const std::string&>(),
                                             at + "/name"))
      return err;
    r.name = n->get<std::string>();
  }
  auto f = parse_filter(doc, at + "/filter");
  if (!f)
    return std::move(f.error());
  r.filter = std::move(*f);
  if (!r.source && !r.name && !r.filter)
    return make_api_error(errc::missing_field,
                          "a rule needs at least one of source, name, filter",
                          at);
  return r;
}

bool rule_matches(const topic_rule& r, const runtime::event_view& view) {
  const auto& ev = view.event();
  if (r.source && ev.source() != *r.source)
    return false;
  if (r.name && !runtime::pattern_matches(*r.name, ev.name()))
    return false;
  return !r.filter || r.filter->matches(view);
}

bool topic_matches(const topic_def& t, const runtime::event_view& view) {
  return std::any_of(
      t.rules().begin(), t.rules().end(),
      [&](const topic_rule& r) { return rule_matches(r, view); });
}

caf::expected<millis> retry_duration(const json& retry, const char* key,
                                     millis fallback) {
  auto it = retry.find(key);
  if (it == retry.end())
    return fallback;
  auto field = "/retry/" + std::string{key};
  if (!it->is_string())
    return bad(std::string{key} + " is a duration such as \"1s\"", field);
  return parse_duration(it->get_ref<const std::string&>(), field);
}

caf::expected<retry_policy> parse_retry(const json& doc) {
  retry_policy p;
  auto r = doc.find("retry");
  if (r == doc.end())
    return p;
  if (!r->is_object())
    return bad("retry is an object (max_attempts, max_age, initial_backoff, "
               "max_backoff)",
               "/retry");
  static constexpr std::array<std::string_view, 4> keys{
      "max_attempts", "max_age", "initial_backoff", "max_backoff"};
  for (const auto& [key, value] : r->items())
    if (!in(keys, key))
      return unknown("retry", "/retry", key);
  if (auto m = r->find("max_attempts"); m != r->end()) {
    if (!m->is_number_integer() || m->get<int64_t>() < 1 ||
        m->get<int64_t>() > max_attempts_limit)
      return bad("max_attempts is an integer from 1 to 100",
                 "/retry/max_attempts");
    p.max_attempts = m->get<uint32_t>();
  }
  auto age = retry_duration(*r, "max_age", p.max_age);
  if (!age)
    return std::move(age.error());
  if (*age < std::chrono::seconds{1} || *age > std::chrono::days{7})
    return bad("max_age is from 1s to 7d", "/retry/max_age");
  p.max_age = *age;
  auto initial = retry_duration(*r, "initial_backoff", p.initial_backoff);
  if (!initial)
    return std::move(initial.error());
  if (*initial < millis{1} || *initial > one_day)
    return bad("initial_backoff is from 1ms to 1d", "/retry/initial_backoff");
  p.initial_backoff = *initial;
  // Without max_backoff, a long initial_backoff raises the default cap
  // rather than contradicting it.
  auto max = retry_duration(*r, "max_backoff",
                            std::max(p.max_backoff, p.initial_backoff));
  if (!max)
    return std::move(max.error());
  if (*max < p.initial_backoff || *max > one_day)
    return bad("max_backoff is from initial_backoff (" +
                   format_duration(p.initial_backoff) + ") to 1d",
               "/retry/max_backoff");
  p.max_backoff = *max;
  return p;
}

} // namespace

bool topic_rule::matches(const v1::Event& ev) const {
  runtime::event_view view{ev};
  return rule_matches(*this, view);
}

caf::expected<topic_def> topic_def::parse(std::string_view id,
                                          const json& doc) {
  if (!doc.is_object())
    return bad("a topic is a JSON object with rules", "");
  static constexpr std::array<std::string_view, 2> keys{"description", "rules"};
  for (const auto& [key, value] : doc.items())
    if (!in(keys, key))
      return unknown("a topic", "", key);
  if (auto err = check_description(doc))
    return err;
  auto rules = doc.find("rules");
  if (rules == doc.end())
    return make_api_error(errc::missing_field,
                          "rules (an array of {source, name, filter}) is "
                          "required",
                          "/rules");
  if (!rules->is_array() || rules->empty() || rules->size() > max_rules)
    return bad("rules is an array of 1 to 100 rules", "/rules");
  topic_def t;
  t.id_ = std::string{id};
  for (size_t i = 0; i < rules->size(); ++i) {
    auto r = parse_rule((*rules)[i], "/rules/" + std::to_string(i));
    if (!r)
      return std::move(r.error());
    t.rules_.push_back(std::move(*r));
  }
  t.source_ = doc;
  return t;
}

bool topic_def::matches(const v1::Event& ev) const {
  runtime::event_view view{ev};
  return topic_matches(*this, view);
}

caf::expected<subscription_def> subscription_def::parse(std::string_view id,
                                                        const json& doc) {
  if (!doc.is_object())
    return bad("a subscription is a JSON object", "");
  static constexpr std::array<std::string_view, 9> keys{
      "description", "topic", "name",     "filter", "scope",
      "destination", "retry", "from_seq", "enabled"};
  for (const auto& [key, value] : doc.items()) {
    if (in(server_keys, key))
      return make_api_error(errc::unknown_field,
                            key + " is kept by Herald and cannot be set",
                            "/" + key);
    if (!in(keys, key))
      return unknown("a subscription", "", key);
  }
  if (auto err = check_description(doc))
    return err;
  subscription_def s;
  s.id_ = std::string{id};
  auto topic = doc.find("topic");
  auto name = doc.find("name");
  if (topic != doc.end() && name != doc.end())
    return bad("give topic or name (a pattern), not both", "/topic");
  if (topic == doc.end() && name == doc.end())
    return make_api_error(errc::missing_field,
                          "name (an event name pattern) or topic is required",
                          "/name");
  if (topic != doc.end()) {
    if (!topic->is_string() ||
        !valid_topic_id(topic->get_ref<const std::string&>()))
      return bad("topic is a topic id (1-128 characters of [A-Za-z0-9._-])",
                 "/topic");
    s.topic_ = topic->get<std::string>();
  } else {
    if (!name->is_string())
      return make_api_error(errc::invalid_pattern,
                            "name is an event name pattern string", "/name");
    if (auto err = runtime::validate_pattern(
            name->get_ref<const std::string&>(), "/name"))
      return err;
    s.pattern_ = name->get<std::string>();
  }
  auto f = parse_filter(doc, "/filter");
  if (!f)
    return std::move(f.error());
  s.filter_ = std::move(*f);
  if (auto sc = doc.find("scope"); sc != doc.end()) {
    if (!sc->is_string() ||
        !runtime::is_valid_scope(sc->get_ref<const std::string&>()))
      return make_api_error(errc::invalid_scope,
                            "scope must be '/'-separated non-empty segments "
                            "of [A-Za-z0-9._~@:+-], at most 1024 bytes",
                            "/scope");
    s.scope_ = sc->get<std::string>();
  }
  if (auto err = detail::parse_destination(doc, s.dest_))
    return err;
  auto retry = parse_retry(doc);
  if (!retry)
    return std::move(retry.error());
  s.retry_ = *retry;
  if (auto fs = doc.find("from_seq"); fs != doc.end()) {
    if (!is_count(*fs) || fs->get<uint64_t>() == 0)
      return bad("from_seq is a positive integer (a seq)", "/from_seq");
    s.from_seq_ = fs->get<uint64_t>();
  }
  if (auto e = doc.find("enabled"); e != doc.end()) {
    if (!e->is_boolean())
      return bad("enabled is true or false", "/enabled");
    s.enabled_ = e->get<bool>();
  }
  s.source_ = doc;
  return s;
}

caf::expected<subscription_def>
subscription_def::parse_stored(std::string_view id, const json& doc) {
  if (!doc.is_object())
    return bad("a stored subscription is a JSON object", "");
  json user = doc;
  server_fields server;
  auto text = [&](const char* key, std::string& out) -> caf::error {
    auto it = user.find(key);
    if (it == user.end())
      return {};
    if (!it->is_string())
      return bad(std::string{key} + " is a string", "/" + std::string{key});
    out = it->get<std::string>();
    user.erase(it);
    return {};
  };
  if (auto err = text("created_by", server.created_by))
    return err;
  if (auto err = text("incarnation", server.incarnation))
    return err;
  if (auto err = text("start_node", server.start_node))
    return err;
  if (auto err = text("secret", server.secret))
    return err;
  if (auto err = text("previous_secret", server.previous_secret))
    return err;
  if (auto it = user.find("start_seq"); it != user.end()) {
    if (!is_count(*it))
      return bad("start_seq is a seq", "/start_seq");
    server.start_seq = it->get<uint64_t>();
    user.erase(it);
  }
  if (auto it = user.find("previous_secret_until_ns"); it != user.end()) {
    if (!it->is_number_integer())
      return bad("previous_secret_until_ns is an integer",
                 "/previous_secret_until_ns");
    server.previous_secret_until_ns = it->get<int64_t>();
    user.erase(it);
  }
  auto s = parse(id, user);
  if (!s)
    return s;
  s->server_ = std::move(server);
  return s;
}

bool subscription_def::matches(const v1::Event& ev,
                               const topic_def* topic) const {
  if (scope_ && !scope_within(ev.scope(), *scope_))
    return false;
  if (pattern_ && !runtime::pattern_matches(*pattern_, ev.name()))
    return false;
  if (topic_ && (!topic || topic->id() != *topic_))
    return false;
  if (!topic_ && !pattern_)
    return false;
  runtime::event_view view{ev};
  if (topic_ && !topic_matches(*topic, view))
    return false;
  return !filter_ || filter_->matches(view);
}

json subscription_def::to_stored() const {
  json doc = source_;
  if (!server_.created_by.empty())
    doc["created_by"] = server_.created_by;
  if (!server_.incarnation.empty())
    doc["incarnation"] = server_.incarnation;
  if (server_.start_seq != 0)
    doc["start_seq"] = server_.start_seq;
  if (!server_.start_node.empty())
    doc["start_node"] = server_.start_node;
  if (!server_.secret.empty())
    doc["secret"] = server_.secret;
  if (!server_.previous_secret.empty())
    doc["previous_secret"] = server_.previous_secret;
  if (server_.previous_secret_until_ns != 0)
    doc["previous_secret_until_ns"] = server_.previous_secret_until_ns;
  return doc;
}

bool scope_within(std::string_view scope, std::string_view prefix) noexcept {
  if (prefix.empty())
    return true;
  if (scope.substr(0, prefix.size()) != prefix)
    return false;
  // Whole segments: "project/a" holds "project/a/x", not "project/ab".
  return scope.size() == prefix.size() || prefix.back() == '/' ||
         scope[prefix.size()] == '/';
}

} // namespace herald::flow
