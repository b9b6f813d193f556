// Topic and subscription definitions (runtime/flow/subscription.hpp).

#include "runtime/flow/subscription.hpp"
#include "runtime/flow/subscription_progress.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;
using runtime::errc;

v1::Event event(std::string name, std::string source = "svc",
                std::string scope = "", std::string data = "") {
  v1::Event ev;
  ev.set_id("e1");
  ev.set_name(std::move(name));
  ev.set_source(std::move(source));
  ev.set_scope(std::move(scope));
  if (!data.empty())
    ev.set_data_json(std::move(data));
  return ev;
}

json webhook_sub(json extra = json::object()) {
  json doc{{"name", "iam.user.*"},
           {"destination",
            {{"type", "webhook"}, {"url", "https://example.com/hook"}}}};
  doc.update(extra);
  return doc;
}

runtime::api_error sub_error(const json& doc) {
  auto s = subscription_def::parse("s1", doc);
  EXPECT_FALSE(s) << doc.dump();
  return s ? runtime::api_error{errc::none, {}, {}}
           : runtime::describe(s.error());
}

runtime::api_error topic_error(const json& doc) {
  auto t = topic_def::parse("t1", doc);
  EXPECT_FALSE(t) << doc.dump();
  return t ? runtime::api_error{errc::none, {}, {}}
           : runtime::describe(t.error());
}

// --- topics -----------------------------------------------------------------

TEST(topic_def, design_example) {
  auto t = topic_def::parse(
      "iam", json::parse(R"({"description": "identity events", "rules": [
        {"source": "iam-service", "name": "iam.user.>",
         "filter": {"data.plan": ["pro"]}}]})"));
  ASSERT_TRUE(t) << runtime::describe(t.error()).message;
  EXPECT_EQ(t->id(), "iam");
  ASSERT_EQ(t->rules().size(), 1u);
  const auto& r = t->rules()[0];
  EXPECT_EQ(r.source, "iam-service");
  EXPECT_EQ(r.name, "iam.user.>");
  ASSERT_TRUE(r.filter);
  EXPECT_TRUE(t->matches(
      event("iam.user.created", "iam-service", "", R"({"plan":"pro"})")));
  // Each given part must match.
  EXPECT_FALSE(
      t->matches(event("iam.user.created", "other", "", R"({"plan":"pro"})")));
  EXPECT_FALSE(t->matches(
      event("iam.group.created", "iam-service", "", R"({"plan":"pro"})")));
  EXPECT_FALSE(t->matches(
      event("iam.user.created", "iam-service", "", R"({"plan":"free"})")));
  EXPECT_EQ(t->source()["description"], "identity events");
}

TEST(topic_def, several_rules_match_any) {
  auto t = topic_def::parse("t", json::parse(R"({"rules": [
      {"source": "billing"}, {"name": "iam.*"}, {"filter": {"tenant": ["acme"]}}]})"));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->matches(event("x.y", "billing")));
  EXPECT_TRUE(t->matches(event("iam.login", "anything")));
  auto ev = event("other.thing", "anything");
  EXPECT_FALSE(t->matches(ev));
  ev.set_tenant("acme");
  EXPECT_TRUE(t->matches(ev));
  // A single rule on its own.
  EXPECT_TRUE(t->rules()[1].matches(event("iam.login")));
  EXPECT_FALSE(t->rules()[1].matches(event("iam.user.login")));
}

TEST(topic_def, errors_name_their_field) {
  struct bad_case {
    json doc;
    errc code;
    std::string field;
  };
  std::vector<bad_case> cases{
      {json::array(), errc::invalid_field, ""},
      {json::object(), errc::missing_field, "/rules"},
      {json{{"rules", json::array()}}, errc::invalid_field, "/rules"},
      {json{{"rules", "x"}}, errc::invalid_field, "/rules"},
      {json{{"rules", {{{"name", "a"}}}}, {"extra", 1}}, errc::unknown_field,
       "/extra"},
      {json{{"rules", {{{"name", "a"}}}}, {"description", 5}},
       errc::invalid_field, "/description"},
      {json{{"rules", {{{"name", "a"}}}},
            {"description", std::string(1025, 'd')}},
       errc::invalid_field, "/description"},
      {json{{"rules", {"x"}}}, errc::invalid_field, "/rules/0"},
      {json{{"rules", {json::object()}}}, errc::missing_field, "/rules/0"},
      {json{{"rules", {{{"name", "a"}}, {{"nme", "a"}}}}}, errc::unknown_field,
       "/rules/1/nme"},
      {json{{"rules", {{{"name", "a..b"}}}}}, errc::invalid_pattern,
       "/rules/0/name"},
      {json{{"rules", {{{"name", 3}}}}}, errc::invalid_pattern,
       "/rules/0/name"},
      {json{{"rules", {{{"source", ""}}}}}, errc::invalid_field,
       "/rules/0/source"},
      {json{{"rules", {{{"source", 1}}}}}, errc::invalid_field,
       "/rules/0/source"},
      {json{{"rules", {{{"source", std::string(257, 's')}}}}},
       errc::invalid_field, "/rules/0/source"},
      {json{{"rules", {{{"name", "a"}}, {{"filter", "x"}}}}},
       errc::invalid_filter, "/rules/1/filter"},
      {json{{"rules", {{{"filter", {{"data.x", "notarray"}}}}}}},
       errc::invalid_filter, "/rules/0/filter/data.x"},
  };
  for (const auto& c : cases) {
    auto e = topic_error(c.doc);
    EXPECT_EQ(e.code, c.code) << c.doc.dump() << " " << e.message;
    EXPECT_EQ(e.field, c.field) << c.doc.dump() << " " << e.message;
  }
}

TEST(topic_def, one_to_a_hundred_rules) {
  json rules = json::array();
  for (int i = 0; i < 100; ++i)
    rules.push_back({{"source", "s" + std::to_string(i)}});
  EXPECT_TRUE(topic_def::parse("t", json{{"rules", rules}}));
  rules.push_back({{"source", "one-too-many"}});
  EXPECT_EQ(topic_error(json{{"rules", rules}}).field, "/rules");
}

// --- subscriptions
// ------------------------------------------------------------

TEST(subscription_def, design_example_webhook) {
  auto doc = json::parse(R"({"description": "new users",
    "name": "iam.user.*", "filter": {"tenant": ["acme"]},
    "scope": "project/a",
    "destination": {"type": "webhook", "url": "https://hooks.example.com/x",
                    "headers": {"Authorization": "Bearer t",
                                "X-Team": "core"},
                    "format": "cloudevents"},
    "retry": {"max_attempts": 5, "max_age": "1h", "initial_backoff": "2s",
              "max_backoff": "1m"},
    "from_seq": 42, "enabled": false})");
  auto s = subscription_def::parse("s1", doc);
  ASSERT_TRUE(s) << runtime::describe(s.error()).message;
  EXPECT_EQ(s->id(), "s1");
  EXPECT_EQ(s->pattern(), "iam.user.*");
  EXPECT_FALSE(s->topic());
  EXPECT_TRUE(s->filter());
  EXPECT_EQ(s->scope(), "project/a");
  const auto& d = s->destination();
  EXPECT_EQ(d.type, destination_type::webhook);
  EXPECT_EQ(d.url, "https://hooks.example.com/x");
  EXPECT_EQ(d.format, payload_format::cloudevents);
  ASSERT_EQ(d.headers.size(), 2u);
  EXPECT_EQ(d.headers[0],
            (std::pair<std::string, std::string>{"Authorization", "Bearer t"}));
  EXPECT_EQ(s->retry().max_attempts, 5u);
  EXPECT_EQ(s->retry().max_age, std::chrono::hours{1});
  EXPECT_EQ(s->retry().initial_backoff, std::chrono::seconds{2});
  EXPECT_EQ(s->retry().max_backoff, std::chrono::minutes{1});
  EXPECT_EQ(s->from_seq(), 42u);
  EXPECT_FALSE(s->enabled());
  EXPECT_EQ(s->source(), doc);
}

TEST(subscription_def, defaults) {
  auto s = subscription_def::parse("s", webhook_sub());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->enabled());
  EXPECT_FALSE(s->from_seq());
  EXPECT_FALSE(s->filter());
  EXPECT_FALSE(s->scope());
  EXPECT_EQ(s->destination().format, payload_format::native);
  EXPECT_TRUE(s->destination().headers.empty());
  EXPECT_EQ(s->retry().max_attempts, 10u);
  EXPECT_EQ(s->retry().max_age, std::chrono::hours{24});
  EXPECT_EQ(s->retry().initial_backoff, std::chrono::seconds{1});
  EXPECT_EQ(s->retry().max_backoff, std::chrono::minutes{5});
}

TEST(subscription_def, slack_destination) {
  auto s = subscription_def::parse(
      "s", json::parse(R"j({"topic": "iam", "destination": {"type": "slack",
        "url": "https://hooks.slack.com/services/T/B/x",
        "slack_username": "herald", "slack_icon": ":bell:",
        "template": "${event.user} did ${event.name} ($${literal})"}})j"));
  ASSERT_TRUE(s) << runtime::describe(s.error()).message;
  EXPECT_EQ(s->topic(), "iam");
  const auto& d = s->destination();
  EXPECT_EQ(d.type, destination_type::slack);
  EXPECT_EQ(d.slack_username, "herald");
  EXPECT_EQ(d.slack_icon, ":bell:");
  EXPECT_EQ(d.slack_template, "${event.user} did ${event.name} ($${literal})");
  // The default template, an icon URL, and empty username/icon (004).
  for (auto icon : {"https://example.com/i.png", ""}) {
    auto t =
        subscription_def::parse("s", json{{"name", ">"},
                                          {"destination",
                                           {{"type", "slack"},
                                            {"url", "http://localhost:9/x"},
                                            {"slack_username", ""},
                                            {"slack_icon", icon}}}});
    ASSERT_TRUE(t) << icon;
    EXPECT_EQ(t->destination().slack_icon, icon);
    EXPECT_EQ(t->destination().slack_template, "${event.name}: ${event.data}");
  }
}

TEST(subscription_def, errors_name_their_field) {
  struct bad_case {
    json extra; // merged into a valid webhook subscription
    errc code;
    std::string field;
  };
  auto dest = [](json d) {
    json base{{"type", "webhook"}, {"url", "https://example.com/"}};
    base.update(d);
    return json{{"destination", base}};
  };
  auto slack = [](json d) {
    json base{{"type", "slack"}, {"url", "https://example.com/"}};
    base.update(d);
    return json{{"destination", base}};
  };
  auto retry = [](json r) { return json{{"retry", r}}; };
  std::vector<bad_case> cases{
      {{{"topic", "t"}}, errc::invalid_field, "/topic"},
      {{{"bogus", 1}}, errc::unknown_field, "/bogus"},
      {{{"name", "a..b"}}, errc::invalid_pattern, "/name"},
      {{{"name", 1}}, errc::invalid_pattern, "/name"},
      {{{"filter", "x"}}, errc::invalid_filter, "/filter"},
      {{{"filter", {{"seq", {{{"numeric", {"<"}}}}}}}},
       errc::invalid_filter,
       "/filter/seq/0/numeric"},
      {{{"scope", "project//a"}}, errc::invalid_scope, "/scope"},
      {{{"scope", 5}}, errc::invalid_scope, "/scope"},
      {{{"description", 5}}, errc::invalid_field, "/description"},
      {{{"destination", "x"}}, errc::invalid_field, "/destination"},
      {{{"destination", {{"url", "https://a/"}}}},
       errc::missing_field,
       "/destination/type"},
      {dest({{"type", "email"}}), errc::invalid_field, "/destination/type"},
      {{{"destination", {{"type", "webhook"}}}},
       errc::missing_field,
       "/destination/url"},
      {dest({{"url", "ftp://example.com/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https:///path"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://exa mple.com/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://example.com/\n"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://example.com:0/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://example.com:70000/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://[::1/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "https://a:1:2/"}}), errc::invalid_field,
       "/destination/url"},
      {dest({{"url", "example.com"}}), errc::invalid_field, "/destination/url"},
      {dest({{"url", "https://e.com/" + std::string(2048, 'a')}}),
       errc::invalid_field, "/destination/url"},
      {dest({{"url", 5}}), errc::invalid_field, "/destination/url"},
      {dest({{"template", "x"}}), errc::unknown_field, "/destination/template"},
      {dest({{"format", "xml"}}), errc::invalid_field, "/destination/format"},
      {dest({{"headers", "x"}}), errc::invalid_field, "/destination/headers"},
      {dest({{"headers", {{"Bad Name", "v"}}}}), errc::invalid_field,
       "/destination/headers/Bad Name"},
      {dest({{"headers", {{"a/b", "v"}}}}), errc::invalid_field,
       "/destination/headers/a~1b"},
      {dest({{"headers", {{"X-Ok", "a\r\nInjected: 1"}}}}), errc::invalid_field,
       "/destination/headers/X-Ok"},
      {dest({{"headers", {{"X-Ok", 5}}}}), errc::invalid_field,
       "/destination/headers/X-Ok"},
      {dest({{"headers", {{"X-A", "1"}, {"x-a", "2"}}}}), errc::invalid_field,
       "/destination/headers/x-a"},
      {slack({{"format", "native"}}), errc::unknown_field,
       "/destination/format"},
      {slack({{"headers", json::object()}}), errc::unknown_field,
       "/destination/headers"},
      {slack({{"slack_icon", "bell"}}), errc::invalid_field,
       "/destination/slack_icon"},
      {slack({{"slack_icon", ":a b:"}}), errc::invalid_field,
       "/destination/slack_icon"},
      {slack({{"slack_username", 1}}), errc::invalid_field,
       "/destination/slack_username"},
      {slack({{"template", "${input.x}"}}), errc::invalid_field,
       "/destination/template"},
      {slack({{"template", "${task.id}"}}), errc::invalid_field,
       "/destination/template"},
      {slack({{"template", "${event.name"}}), errc::invalid_field,
       "/destination/template"},
      {slack({{"template", 3}}), errc::invalid_field, "/destination/template"},
      {retry("x"), errc::invalid_field, "/retry"},
      {retry({{"tries", 3}}), errc::unknown_field, "/retry/tries"},
      {retry({{"max_attempts", "3"}}), errc::invalid_field,
       "/retry/max_attempts"},
      {retry({{"max_attempts", 2.5}}), errc::invalid_field,
       "/retry/max_attempts"},
      {retry({{"max_age", 60}}), errc::invalid_field, "/retry/max_age"},
      {retry({{"max_age", "soon"}}), errc::invalid_field, "/retry/max_age"},
      {retry({{"initial_backoff", "1x"}}), errc::invalid_field,
       "/retry/initial_backoff"},
      {retry({{"initial_backoff", "1m"}, {"max_backoff", "30s"}}),
       errc::invalid_field, "/retry/max_backoff"},
      {{{"from_seq", 0}}, errc::invalid_field, "/from_seq"},
      {{{"from_seq", -1}}, errc::invalid_field, "/from_seq"},
      {{{"from_seq", 1.5}}, errc::invalid_field, "/from_seq"},
      {{{"from_seq", "1"}}, errc::invalid_field, "/from_seq"},
      {{{"enabled", "yes"}}, errc::invalid_field, "/enabled"},
  };
  for (const auto& c : cases) {
    auto e = sub_error(webhook_sub(c.extra));
    EXPECT_EQ(e.code, c.code) << c.extra.dump() << " " << e.message;
    EXPECT_EQ(e.field, c.field) << c.extra.dump() << " " << e.message;
  }
}

TEST(subscription_def, topic_or_name_exactly_one) {
  auto neither = webhook_sub();
  neither.erase("name");
  auto e = sub_error(neither);
  EXPECT_EQ(e.code, errc::missing_field);
  EXPECT_EQ(e.field, "/name");
  e = sub_error(webhook_sub({{"topic", "t"}}));
  EXPECT_EQ(e.code, errc::invalid_field);
  EXPECT_EQ(e.field, "/topic");
  auto by_topic = neither;
  for (auto bad :
       {json(""), json(std::string(129, 't')), json("a/b"), json(5)}) {
    by_topic["topic"] = bad;
    e = sub_error(by_topic);
    EXPECT_EQ(e.field, "/topic") << bad.dump();
  }
  by_topic["topic"] = std::string(128, 't');
  EXPECT_TRUE(subscription_def::parse("s", by_topic));
  EXPECT_EQ(sub_error(json::array()).code, errc::invalid_field);
}

TEST(subscription_def, from_seq_from_a_built_document) {
  // json{{"from_seq", 5}} holds a signed integer, a parsed "5" an unsigned.
  auto s = subscription_def::parse("s", webhook_sub({{"from_seq", 5}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->from_seq(), 5u);
  s = subscription_def::parse(
      "s", webhook_sub({{"from_seq", json::parse("18446744073709551615")}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->from_seq(), UINT64_MAX);
}

TEST(subscription_def, missing_destination) {
  auto doc = webhook_sub();
  doc.erase("destination");
  auto e = sub_error(doc);
  EXPECT_EQ(e.code, errc::missing_field);
  EXPECT_EQ(e.field, "/destination");
}

TEST(subscription_def, urls_accepted) {
  for (auto url :
       {"http://localhost/", "HTTPS://Example.COM",
        "http://10.0.0.1:8080/a?b=c#d", "https://user:pw@example.com/",
        "http://[::1]:9000/x", "https://example.com:65535"}) {
    auto s = subscription_def::parse(
        "s",
        webhook_sub({{"destination", {{"type", "webhook"}, {"url", url}}}}));
    EXPECT_TRUE(s) << url << ": " << runtime::describe(s.error()).message;
  }
  auto at_limit = "https://e.com/" + std::string(2048 - 14, 'a');
  ASSERT_EQ(at_limit.size(), 2048u);
  EXPECT_TRUE(subscription_def::parse(
      "s", webhook_sub(
               {{"destination", {{"type", "webhook"}, {"url", at_limit}}}})));
}

TEST(subscription_def, reserved_headers_are_refused_in_any_case) {
  for (auto name :
       {"webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "Content-Type",
        "content-length", "Host", "Transfer-Encoding"}) {
    auto e = sub_error(webhook_sub({{"destination",
                                     {{"type", "webhook"},
                                      {"url", "https://e.com/"},
                                      {"headers", {{name, "x"}}}}}}));
    EXPECT_EQ(e.code, errc::invalid_field) << name;
    EXPECT_EQ(e.field, std::string{"/destination/headers/"} + name);
  }
  // A tab inside a value is allowed (RFC 9110 field-value).
  EXPECT_TRUE(subscription_def::parse(
      "s", webhook_sub({{"destination",
                         {{"type", "webhook"},
                          {"url", "https://e.com/"},
                          {"headers", {{"X-A", "a\tb"}}}}}})));
}

TEST(subscription_def, retry_limits_at_and_beyond_each_bound) {
  auto with = [](json r) {
    return subscription_def::parse("s", webhook_sub({{"retry", r}}));
  };
  EXPECT_TRUE(with({{"max_attempts", 1}}));
  EXPECT_TRUE(with({{"max_attempts", 100}}));
  EXPECT_FALSE(with({{"max_attempts", 0}}));
  EXPECT_FALSE(with({{"max_attempts", 101}}));
  EXPECT_FALSE(with({{"max_attempts", -1}}));
  EXPECT_FALSE(with({{"max_attempts", 4294967297ull}}));
  EXPECT_TRUE(with({{"max_age", "1s"}}));
  EXPECT_TRUE(with({{"max_age", "7d"}}));
  EXPECT_FALSE(with({{"max_age", "999ms"}}));
  EXPECT_FALSE(with({{"max_age", "7d1ms"}}));
  EXPECT_TRUE(with({{"initial_backoff", "1ms"}}));
  EXPECT_FALSE(with({{"initial_backoff", "0s"}}));
  EXPECT_TRUE(with({{"initial_backoff", "1d"}, {"max_backoff", "1d"}}));
  EXPECT_FALSE(with({{"initial_backoff", "1d1ms"}}));
  EXPECT_FALSE(with({{"max_backoff", "1d1ms"}}));
  EXPECT_TRUE(with({{"initial_backoff", "30s"}, {"max_backoff", "30s"}}));
  EXPECT_FALSE(with({{"initial_backoff", "30s"}, {"max_backoff", "29s"}}));
  // max_backoff below the default initial_backoff (1s).
  EXPECT_FALSE(with({{"max_backoff", "999ms"}}));
  // A long initial_backoff alone raises the default cap (5m) with it.
  auto s = with({{"initial_backoff", "10m"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->retry().max_backoff, std::chrono::minutes{10});
}

TEST(subscription_def, matches_by_pattern_filter_and_scope) {
  auto s = subscription_def::parse(
      "s", webhook_sub(
               {{"filter", {{"data.plan", {"pro"}}}}, {"scope", "project/a"}}));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->matches(
      event("iam.user.created", "x", "project/a", R"({"plan":"pro"})"),
      nullptr));
  EXPECT_TRUE(s->matches(
      event("iam.user.created", "x", "project/a/b/c", R"({"plan":"pro"})"),
      nullptr));
  // Whole segments only.
  EXPECT_FALSE(s->matches(
      event("iam.user.created", "x", "project/ab", R"({"plan":"pro"})"),
      nullptr));
  EXPECT_FALSE(s->matches(
      event("iam.user.created", "x", "project", R"({"plan":"pro"})"), nullptr));
  EXPECT_FALSE(s->matches(
      event("iam.user.created", "x", "", R"({"plan":"pro"})"), nullptr));
  EXPECT_FALSE(s->matches(
      event("iam.user.created", "x", "project/a", R"({"plan":"free"})"),
      nullptr));
  EXPECT_FALSE(s->matches(
      event("iam.group.created", "x", "project/a", R"({"plan":"pro"})"),
      nullptr));
}

TEST(subscription_def, matches_by_topic) {
  auto topic = topic_def::parse("iam", json::parse(R"({"rules": [
      {"source": "iam-service"}, {"name": "audit.>"}]})"));
  ASSERT_TRUE(topic);
  auto other = topic_def::parse("other", json::parse(R"({"rules": [
      {"name": ">"}]})"));
  ASSERT_TRUE(other);
  auto doc = webhook_sub({{"topic", "iam"}, {"filter", {{"user", {"bob"}}}}});
  doc.erase("name");
  auto s = subscription_def::parse("s", doc);
  ASSERT_TRUE(s) << runtime::describe(s.error()).message;
  auto ev = event("anything.here", "iam-service");
  ev.set_user("bob");
  EXPECT_TRUE(s->matches(ev, &*topic));
  // A missing topic (or not this one) matches nothing.
  EXPECT_FALSE(s->matches(ev, nullptr));
  EXPECT_FALSE(s->matches(ev, &*other));
  // The subscription's own filter narrows the topic.
  ev.set_user("eve");
  EXPECT_FALSE(s->matches(ev, &*topic));
  auto audit = event("audit.login", "elsewhere");
  audit.set_user("bob");
  EXPECT_TRUE(s->matches(audit, &*topic));
  auto neither = event("billing.paid", "elsewhere");
  neither.set_user("bob");
  EXPECT_FALSE(s->matches(neither, &*topic));
}

TEST(subscription_def, server_fields_are_stored_not_set) {
  for (auto key : {"created_by", "incarnation", "start_seq", "start_node",
                   "secret", "previous_secret", "previous_secret_until_ns"}) {
    auto e = sub_error(webhook_sub({{key, "x"}}));
    EXPECT_EQ(e.code, errc::unknown_field) << key;
    EXPECT_EQ(e.field, std::string{"/"} + key);
  }
  auto doc = webhook_sub({{"enabled", true}});
  auto s = subscription_def::parse("s", doc);
  ASSERT_TRUE(s);
  // Nothing set: the stored document is the user's.
  EXPECT_EQ(s->to_stored(), doc);
  s->server().created_by = "alice";
  s->server().incarnation = "inc-1";
  s->server().start_seq = 17;
  s->server().start_node = "n2";
  s->server().secret = "whsec_a";
  s->server().previous_secret = "whsec_b";
  s->server().previous_secret_until_ns = 1234;
  auto stored = s->to_stored();
  EXPECT_EQ(stored["created_by"], "alice");
  EXPECT_EQ(stored["start_seq"], 17);
  auto back = subscription_def::parse_stored("s", stored);
  ASSERT_TRUE(back) << runtime::describe(back.error()).message;
  EXPECT_EQ(back->source(), doc);
  EXPECT_EQ(back->server().created_by, "alice");
  EXPECT_EQ(back->server().incarnation, "inc-1");
  EXPECT_EQ(back->server().start_seq, 17u);
  EXPECT_EQ(back->server().start_node, "n2");
  EXPECT_EQ(back->server().secret, "whsec_a");
  EXPECT_EQ(back->server().previous_secret, "whsec_b");
  EXPECT_EQ(back->server().previous_secret_until_ns, 1234);
  EXPECT_EQ(back->to_stored(), stored);
  // Empty ones are left out.
  back->server().previous_secret.clear();
  back->server().previous_secret_until_ns = 0;
  EXPECT_FALSE(back->to_stored().contains("previous_secret"));
  EXPECT_FALSE(back->to_stored().contains("previous_secret_until_ns"));
}

TEST(subscription_def, parse_stored_checks_server_fields_and_the_rest) {
  auto bad = [](json extra) {
    auto s = subscription_def::parse_stored("s", webhook_sub(extra));
    EXPECT_FALSE(s) << extra.dump();
    return s ? std::string{} : runtime::describe(s.error()).field;
  };
  EXPECT_EQ(bad({{"start_seq", -1}}), "/start_seq");
  EXPECT_EQ(bad({{"secret", 1}}), "/secret");
  EXPECT_EQ(bad({{"start_node", 2}}), "/start_node");
  EXPECT_EQ(bad({{"previous_secret_until_ns", "x"}}),
            "/previous_secret_until_ns");
  EXPECT_EQ(bad({{"created_by", "a"}, {"bogus", 1}}), "/bogus");
  EXPECT_FALSE(subscription_def::parse_stored("s", json(1)));
}

TEST(subscription_wanted_state, the_cluster_wide_pause_record) {
  auto p = subscription_wanted_state::parse(
      R"({"state":"paused","incarnation":"i1","by":"alice","at":"x"})");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->paused);
  EXPECT_EQ(p->incarnation, "i1");
  auto a = subscription_wanted_state::parse(
      R"({"state":"active","incarnation":"i2"})");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->paused);
  for (auto bad : {"", "[]", "{}", R"({"state":"paused"})",
                   R"({"state":"disabled","incarnation":"i"})",
                   R"({"state":1,"incarnation":"i"})",
                   R"({"state":"active","incarnation":3})"})
    EXPECT_FALSE(subscription_wanted_state::parse(bad)) << bad;
}

TEST(scope_within, whole_segments) {
  EXPECT_TRUE(scope_within("project/a", "project/a"));
  EXPECT_TRUE(scope_within("project/a/b", "project/a"));
  EXPECT_FALSE(scope_within("project/ab", "project/a"));
  EXPECT_FALSE(scope_within("project", "project/a"));
  EXPECT_FALSE(scope_within("", "project/a"));
  EXPECT_FALSE(scope_within("other/a", "project/a"));
  EXPECT_TRUE(scope_within("project/a/b", "project/a/"));
  EXPECT_TRUE(scope_within("anything", ""));
}

} // namespace
} // namespace herald::flow
