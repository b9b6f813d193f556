// content_filter matching: EventBridge semantics over Herald's event fields
// and data. Errors and limits are in content_filter_errors_test.cpp.

#include "runtime/content_filter.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/errc.hpp"

namespace herald::runtime {
namespace {

constexpr const char* sample_data = R"({
  "state": "active", "code": 404, "ratio": 0.5, "ok": true, "nothing": null,
  "tags": ["red", "blue"], "nums": [1, 2.5, 300], "nested": [[1, [2]]],
  "items": [{"id": 1, "kind": "a"}, {"id": 2}],
  "user": {"name": "Bob", "email": "bob@example.com"},
  "path": "/usr/lib/x.png", "star": "a*b", "big": 18446744073709551615,
  "neg": -7, "empty_list": [], "str5": "5", "empty": ""
})";

v1::Event sample_event() {
  v1::Event ev;
  ev.set_id("e1");
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(1795341600123000000); // 2026-11-22T10:00:00.123Z
  ev.set_tenant("acme");
  ev.set_user("alice");
  ev.set_scope("inventory/test/app/1.0");
  ev.add_allowed_groups("ops");
  ev.add_allowed_groups("dev");
  ev.set_data_json(sample_data);
  ev.set_datacontenttype("application/json");
  ev.set_traceparent("00-abc-def-01");
  ev.mutable_origin()->set_trigger_id("t1");
  ev.set_seq(42);
  ev.set_node("n1");
  return ev;
}

/// A bare event: only name and kind sys, every optional field absent.
v1::Event bare_event() {
  v1::Event ev;
  ev.set_name("server.ready");
  ev.set_kind(v1::KIND_SYS);
  return ev;
}

content_filter compile(std::string_view text) {
  auto f = content_filter::parse(text);
  EXPECT_TRUE(f) << text << ": " << describe(f.error()).message;
  return f ? *f : content_filter{};
}

bool matches(std::string_view filter, const v1::Event& ev = sample_event()) {
  return compile(filter).matches(ev);
}

TEST(content_filter, empty_filter_matches_everything) {
  content_filter none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.text(), "{}");
  EXPECT_TRUE(none.matches(sample_event()));
  auto f = compile("{}");
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.matches(bare_event()));
}

TEST(content_filter, string_literals_are_exact_and_case_sensitive) {
  EXPECT_TRUE(matches(R"({"source":["iam"]})"));
  EXPECT_FALSE(matches(R"({"source":["billing"]})"));
  EXPECT_FALSE(matches(R"({"source":["IAM"]})"));
  EXPECT_FALSE(matches(R"({"source":["ia"]})"));
  EXPECT_TRUE(matches(R"({"data.empty":[""]})"));
  EXPECT_FALSE(matches(R"({"data.nothing":[""]})")); // "" is not null
}

TEST(content_filter, values_in_a_list_are_or) {
  EXPECT_TRUE(matches(R"({"source":["billing","iam"]})"));
  EXPECT_TRUE(matches(R"({"tenant":["x",{"prefix":"ac"}]})"));
  EXPECT_FALSE(matches(R"({"source":["billing","crm"]})"));
}

TEST(content_filter, keys_are_and) {
  EXPECT_TRUE(matches(R"({"source":["iam"],"tenant":["acme"]})"));
  EXPECT_FALSE(matches(R"({"source":["iam"],"tenant":["other"]})"));
  EXPECT_FALSE(matches(R"({"source":["x"],"tenant":["acme"]})"));
  // The same path given nested and dotted is two keys: both must hold.
  EXPECT_FALSE(matches(R"({"data.code":[404],"data":{"code":[500]}})"));
  EXPECT_TRUE(
      matches(R"({"data.code":[404],"data":{"code":[{"exists":true}]}})"));
}

TEST(content_filter, literals_match_only_their_own_type) {
  EXPECT_TRUE(matches(R"({"data.code":[404]})"));
  EXPECT_FALSE(matches(R"({"data.code":["404"]})"));
  EXPECT_TRUE(matches(R"({"data.str5":["5"]})"));
  EXPECT_FALSE(matches(R"({"data.str5":[5]})"));
  EXPECT_TRUE(matches(R"({"data.ok":[true]})"));
  EXPECT_FALSE(matches(R"({"data.ok":[false]})"));
  EXPECT_FALSE(matches(R"({"data.ok":["true"]})"));
  EXPECT_FALSE(matches(R"({"data.ok":[1]})"));
  EXPECT_TRUE(matches(R"({"data.nothing":[null]})"));
  EXPECT_FALSE(matches(R"({"data.state":[null]})"));
  EXPECT_FALSE(matches(R"({"data.missing":[null]})"));
  EXPECT_FALSE(matches(R"({"data.user":["Bob"]})")); // an object
}

TEST(content_filter, numbers_compare_numerically) {
  EXPECT_TRUE(matches(R"({"data.code":[404.0]})"));
  EXPECT_TRUE(matches(R"({"data.code":[4.04e2]})"));
  EXPECT_FALSE(matches(R"({"data.code":[404.5]})"));
  EXPECT_TRUE(matches(R"({"data.ratio":[0.5]})"));
  EXPECT_TRUE(matches(R"({"data.neg":[-7]})"));
  EXPECT_TRUE(matches(R"({"data.neg":[-7.0]})"));
  EXPECT_TRUE(matches(R"({"seq":[42]})"));
  EXPECT_TRUE(matches(R"({"seq":[42.0]})"));
  // Integers compare exactly, beyond double precision.
  EXPECT_TRUE(matches(R"({"data.big":[18446744073709551615]})"));
  EXPECT_FALSE(matches(R"({"data.big":[18446744073709551614]})"));
}

TEST(content_filter, array_values_match_when_any_element_does) {
  EXPECT_TRUE(matches(R"({"data.tags":["blue"]})"));
  EXPECT_FALSE(matches(R"({"data.tags":["green"]})"));
  EXPECT_TRUE(matches(R"({"data.nums":[2.5]})"));
  EXPECT_TRUE(matches(R"({"data.nested":[2]})")); // nested arrays flatten
  EXPECT_TRUE(matches(R"({"allowed_groups":["dev"]})"));
  EXPECT_FALSE(matches(R"({"allowed_groups":["admins"]})"));
  EXPECT_FALSE(matches(R"({"data.empty_list":[{"anything-but":"x"}]})"));
}

TEST(content_filter, paths_descend_into_arrays_of_objects) {
  EXPECT_TRUE(matches(R"({"data.items.id":[2]})"));
  EXPECT_TRUE(matches(R"({"data.items.kind":["a"]})"));
  EXPECT_FALSE(matches(R"({"data.items.id":[3]})"));
  EXPECT_TRUE(matches(R"({"data.items.kind":[{"exists":true}]})"));
  EXPECT_FALSE(matches(R"({"data.items.size":[{"exists":true}]})"));
}

TEST(content_filter, nested_objects_equal_dotted_keys) {
  const char* forms[] = {
      R"({"data.user.name":["Bob"]})",
      R"({"data":{"user":{"name":["Bob"]}}})",
      R"({"data":{"user.name":["Bob"]}})",
      R"({"data.user":{"name":["Bob"]}})",
  };
  auto other = sample_event();
  other.set_data_json(R"({"user":{"name":"Eve"}})");
  for (const char* f : forms) {
    EXPECT_TRUE(matches(f)) << f;
    EXPECT_FALSE(matches(f, other)) << f;
    EXPECT_FALSE(matches(f, bare_event())) << f;
  }
  EXPECT_TRUE(matches(R"({"origin":{"trigger_id":["t1"]}})"));
  EXPECT_TRUE(matches(R"({"origin.trigger_id":["t1"]})"));
}

TEST(content_filter, absent_fields_match_only_exists_false) {
  auto bare = bare_event();
  for (const char* key :
       {"id", "source", "tenant", "user", "scope", "allowed_groups",
        "datacontenttype", "traceparent", "node", "seq", "origin.trigger_id",
        "origin.workflow_id", "origin.task_id", "data", "data.x"}) {
    auto with = [&](const char* alt) {
      return "{\"" + std::string{key} + "\":[" + alt + "]}";
    };
    EXPECT_TRUE(matches(with(R"({"exists":false})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"({"exists":true})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"({"anything-but":"zzz"})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"({"anything-but":[1,"a"]})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"({"anything-but":{"prefix":"zzz"}})"), bare))
        << key;
    EXPECT_FALSE(matches(with(R"({"numeric":[">",-1e300]})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"({"wildcard":"*"})"), bare)) << key;
    EXPECT_FALSE(matches(with(R"(null)"), bare)) << key;
    EXPECT_FALSE(matches(with(R"("")"), bare)) << key;
  }
}

TEST(content_filter, present_fields_fail_exists_false) {
  for (const char* key :
       {"id", "name", "source", "kind", "time", "tenant", "user", "scope",
        "allowed_groups", "datacontenttype", "traceparent", "node", "seq",
        "origin.trigger_id", "data", "data.state"}) {
    auto f = "{\"" + std::string{key} + "\":[{\"exists\":false}]}";
    EXPECT_FALSE(matches(f)) << key;
    f = "{\"" + std::string{key} + "\":[{\"exists\":true}]}";
    EXPECT_TRUE(matches(f)) << key;
  }
}

TEST(content_filter, null_object_and_empty_array_in_data_are_present) {
  for (const char* key : {"data.nothing", "data.user", "data.empty_list"}) {
    auto f = "{\"" + std::string{key} + "\":[{\"exists\":true}]}";
    EXPECT_TRUE(matches(f)) << key;
    f = "{\"" + std::string{key} + "\":[{\"exists\":false}]}";
    EXPECT_FALSE(matches(f)) << key;
  }
  EXPECT_TRUE(matches(R"({"data.nothing":[{"anything-but":"x"}]})"));
  EXPECT_TRUE(matches(R"({"data.missing":[{"exists":false},"x"]})"));
}

TEST(content_filter, an_empty_optional_string_is_absent) {
  auto ev = sample_event();
  ev.set_tenant("");
  EXPECT_TRUE(matches(R"({"tenant":[{"exists":false}]})", ev));
  EXPECT_FALSE(matches(R"({"tenant":[""]})", ev));
  EXPECT_FALSE(matches(R"({"tenant":[{"prefix":""}]})", ev));
}

TEST(content_filter, prefix_and_suffix) {
  EXPECT_TRUE(matches(R"({"tenant":[{"prefix":"ac"}]})"));
  EXPECT_TRUE(matches(R"({"tenant":[{"prefix":""}]})"));
  EXPECT_FALSE(matches(R"({"tenant":[{"prefix":"AC"}]})"));
  EXPECT_FALSE(matches(R"({"tenant":[{"prefix":"acmee"}]})"));
  EXPECT_TRUE(
      matches(R"({"tenant":[{"prefix":{"equals-ignore-case":"AC"}}]})"));
  EXPECT_TRUE(matches(R"({"tenant":[{"suffix":"me"}]})"));
  EXPECT_FALSE(matches(R"({"tenant":[{"suffix":"ac"}]})"));
  EXPECT_TRUE(
      matches(R"({"tenant":[{"suffix":{"equals-ignore-case":"ME"}}]})"));
  EXPECT_FALSE(
      matches(R"({"tenant":[{"suffix":{"equals-ignore-case":"x"}}]})"));
  EXPECT_TRUE(matches(R"({"data.tags":[{"prefix":"bl"}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"prefix":"4"}]})")); // a number
  EXPECT_FALSE(matches(R"({"seq":[{"suffix":"2"}]})"));
  EXPECT_TRUE(matches(R"({"scope":[{"prefix":"inventory/test/"}]})"));
}

TEST(content_filter, equals_ignore_case) {
  EXPECT_TRUE(matches(R"({"user":[{"equals-ignore-case":"ALICE"}]})"));
  EXPECT_TRUE(matches(R"({"user":[{"equals-ignore-case":"alice"}]})"));
  EXPECT_FALSE(matches(R"({"user":[{"equals-ignore-case":"alic"}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"equals-ignore-case":"404"}]})"));
}

TEST(content_filter, wildcard) {
  EXPECT_TRUE(matches(R"({"data.path":[{"wildcard":"/usr/*/*.png"}]})"));
  EXPECT_TRUE(matches(R"({"data.path":[{"wildcard":"*"}]})"));
  EXPECT_TRUE(matches(R"({"data.path":[{"wildcard":"*lib*"}]})"));
  EXPECT_TRUE(matches(R"({"data.path":[{"wildcard":"/usr/lib/x.png"}]})"));
  EXPECT_FALSE(matches(R"({"data.path":[{"wildcard":"*.jpg"}]})"));
  EXPECT_FALSE(matches(R"({"data.path":[{"wildcard":"/usr/lib"}]})"));
  EXPECT_FALSE(matches(R"({"data.path":[{"wildcard":"*lib*lib*"}]})"));
  EXPECT_TRUE(matches(R"({"data.empty":[{"wildcard":"*"}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"wildcard":"*"}]})"));
  EXPECT_TRUE(matches(R"({"name":[{"wildcard":"iam.*.created"}]})"));
  // "\\*" in JSON text is \* in the string: a literal star.
  EXPECT_TRUE(matches(R"({"data.star":[{"wildcard":"a\\*b"}]})"));
  EXPECT_TRUE(matches(R"({"data.star":[{"wildcard":"a*b"}]})"));
  EXPECT_FALSE(matches(R"({"data.state":[{"wildcard":"a\\*e"}]})"));
  // Overlapping runs: "aab" must not be consumed greedily past its match.
  auto ev = sample_event();
  ev.set_data_json(R"({"s":"xaab-aab"})");
  EXPECT_TRUE(matches(R"({"data.s":[{"wildcard":"x*ab*ab"}]})", ev));
  EXPECT_FALSE(matches(R"({"data.s":[{"wildcard":"x*ab*ab*ab"}]})", ev));
  ev.set_data_json(R"({"s":"ab"})");
  EXPECT_FALSE(matches(R"({"data.s":[{"wildcard":"ab*b"}]})", ev));
}

TEST(content_filter, numeric) {
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":[">=",400]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":[">",403.9]}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"numeric":["<",400]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":["<=",404]}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"numeric":[">",404]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":["=",404.0]}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"numeric":["=",405]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":[">",400,"<",500]}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"numeric":[">",404,"<",500]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"numeric":[">=",404,"<=",404]}]})"));
  EXPECT_TRUE(matches(R"({"data.ratio":[{"numeric":[">",0,"<=",0.5]}]})"));
  EXPECT_FALSE(matches(R"({"data.ratio":[{"numeric":[">",0.5]}]})"));
  EXPECT_TRUE(matches(R"({"data.neg":[{"numeric":["<",0]}]})"));
  EXPECT_TRUE(matches(R"({"data.nums":[{"numeric":[">",299]}]})"));
  EXPECT_TRUE(matches(R"({"seq":[{"numeric":[">",41,"<",43]}]})"));
  EXPECT_TRUE(
      matches(R"({"data.big":[{"numeric":[">",18446744073709551614]}]})"));
  // Numbers only: no coercion from strings or booleans.
  EXPECT_FALSE(matches(R"({"data.str5":[{"numeric":["=",5]}]})"));
  EXPECT_FALSE(matches(R"({"data.ok":[{"numeric":["=",1]}]})"));
  EXPECT_FALSE(matches(R"({"data.nothing":[{"numeric":[">",-1]}]})"));
}

TEST(content_filter, anything_but_literals) {
  EXPECT_TRUE(matches(R"({"user":[{"anything-but":"bot"}]})"));
  EXPECT_FALSE(matches(R"({"user":[{"anything-but":"alice"}]})"));
  EXPECT_TRUE(matches(R"({"user":[{"anything-but":["bot","svc"]}]})"));
  EXPECT_FALSE(matches(R"({"user":[{"anything-but":["bot","alice"]}]})"));
  EXPECT_TRUE(matches(R"({"data.code":[{"anything-but":500}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"anything-but":404}]})"));
  EXPECT_FALSE(matches(R"({"data.code":[{"anything-but":[1,404.0]}]})"));
  // Typed equality: the string "404" is not the number 404.
  EXPECT_TRUE(matches(R"({"data.code":[{"anything-but":["404"]}]})"));
  EXPECT_TRUE(matches(R"({"data.str5":[{"anything-but":[5]}]})"));
  // Arrays: any element that is none of them.
  EXPECT_TRUE(matches(R"({"data.tags":[{"anything-but":"red"}]})"));
  EXPECT_FALSE(matches(R"({"data.tags":[{"anything-but":["red","blue"]}]})"));
}

TEST(content_filter, anything_but_string_tests) {
  EXPECT_FALSE(
      matches(R"({"data.state":[{"anything-but":{"prefix":"act"}}]})"));
  EXPECT_TRUE(matches(R"({"data.state":[{"anything-but":{"prefix":"x"}}]})"));
  EXPECT_FALSE(
      matches(R"({"data.state":[{"anything-but":{"suffix":"ive"}}]})"));
  EXPECT_TRUE(matches(R"({"data.state":[{"anything-but":{"suffix":"x"}}]})"));
  EXPECT_FALSE(matches(
      R"({"data.state":[{"anything-but":{"equals-ignore-case":"ACTIVE"}}]})"));
  EXPECT_TRUE(matches(
      R"({"data.state":[{"anything-but":{"equals-ignore-case":"x"}}]})"));
  EXPECT_FALSE(
      matches(R"({"data.path":[{"anything-but":{"wildcard":"*/lib/*"}}]})"));
  EXPECT_TRUE(
      matches(R"({"data.path":[{"anything-but":{"wildcard":"*/bin/*"}}]})"));
  // String tests apply to strings only.
  EXPECT_FALSE(matches(R"({"data.code":[{"anything-but":{"prefix":"x"}}]})"));
}

TEST(content_filter, addresses_every_event_field) {
  EXPECT_TRUE(matches(R"({"id":["e1"]})"));
  EXPECT_TRUE(matches(R"({"name":["iam.user.created"]})"));
  EXPECT_TRUE(matches(R"({"kind":["user"]})"));
  EXPECT_FALSE(matches(R"({"kind":["sys"]})"));
  EXPECT_TRUE(matches(R"({"kind":["sys"]})", bare_event()));
  EXPECT_TRUE(matches(R"({"time":["2026-11-22T10:00:00.123Z"]})"));
  EXPECT_TRUE(matches(R"({"time":[{"prefix":"2026-11-22"}]})"));
  EXPECT_TRUE(matches(R"({"scope":["inventory/test/app/1.0"]})"));
  EXPECT_TRUE(matches(R"({"datacontenttype":["application/json"]})"));
  EXPECT_TRUE(matches(R"({"traceparent":["00-abc-def-01"]})"));
  EXPECT_TRUE(matches(R"({"node":["n1"]})"));
  EXPECT_TRUE(matches(R"({"origin.trigger_id":["t1"]})"));
  EXPECT_TRUE(matches(R"({"origin.workflow_id":[{"exists":false}]})"));
  EXPECT_TRUE(matches(R"({"data":[{"exists":true}]})"));
}

TEST(content_filter, data_root_and_unparsed_data) {
  auto ev = sample_event();
  ev.set_data_json(R"("hello")");
  EXPECT_TRUE(matches(R"({"data":["hello"]})", ev));
  EXPECT_FALSE(matches(R"({"data.x":[{"exists":true}]})", ev));
  ev.set_data_json("not json");
  EXPECT_TRUE(matches(R"({"data":[{"exists":false}]})", ev));
  ev.set_data_bytes(std::string{"\x00\x01", 2});
  EXPECT_TRUE(matches(R"({"data":[{"exists":false}]})", ev));
  event_view view{ev};
  EXPECT_EQ(view.data(), nullptr);
}

TEST(content_filter, deeply_nested_event_data_is_matched_without_recursion) {
  auto ev = sample_event();
  ev.set_data_json(std::string(200000, '[') + "7" + std::string(200000, ']'));
  EXPECT_TRUE(matches(R"({"data":[7]})", ev));
  EXPECT_FALSE(matches(R"({"data":[8]})", ev));
  EXPECT_FALSE(matches(R"({"data.a":[{"exists":true}]})", ev));
}

TEST(content_filter, one_view_serves_many_filters) {
  auto ev = sample_event();
  event_view view{ev};
  ASSERT_NE(view.data(), nullptr);
  EXPECT_EQ(view.data()->at("code"), 404);
  EXPECT_EQ(view.time_text(), "2026-11-22T10:00:00.123Z");
  EXPECT_TRUE(compile(R"({"data.state":["active"]})").matches(view));
  EXPECT_FALSE(compile(R"({"data.state":["gone"]})").matches(view));
  EXPECT_TRUE(compile(R"({"time":[{"suffix":".123Z"}]})").matches(view));
}

TEST(content_filter, text_is_normalized_and_reparses_to_the_same_filter) {
  auto f = compile(R"({ "source" : ["iam"],
                        "data": {"code": [404, {"numeric": [">", 1.5]}]} })");
  EXPECT_EQ(
      f.text(),
      R"({"data":{"code":[404,{"numeric":[">",1.5]}]},"source":["iam"]})");
  const char* filters[] = {
      R"({"data.code":[404.0],"tenant":[{"prefix":"ac"}]})",
      R"({"data.big":[18446744073709551615],"seq":[{"numeric":[">",0.1]}]})",
      R"({"data.star":[{"wildcard":"a\\*b"}],"user":["\u00e9\"/"]})",
      R"({"data":{"missing":[{"exists":false}]},"origin":{"task_id":["x"]}})",
  };
  v1::Event events[] = {sample_event(), bare_event()};
  for (const char* text : filters) {
    auto f1 = compile(text);
    auto f2 = compile(f1.text());
    EXPECT_EQ(f1.text(), f2.text());
    for (const auto& ev : events)
      EXPECT_EQ(f1.matches(ev), f2.matches(ev)) << text;
  }
}

TEST(content_filter, copies_share_the_compiled_filter) {
  auto f = compile(R"({"source":["iam"]})");
  content_filter copy = f;
  content_filter moved = std::move(f);
  EXPECT_EQ(copy.text(), moved.text());
  EXPECT_TRUE(copy.matches(sample_event()));
  EXPECT_FALSE(copy.matches(bare_event()));
}

TEST(content_filter, parses_from_json_values) {
  nlohmann::json spec = {{"data", {{"code", {404}}}}};
  auto f = content_filter::parse(spec);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->matches(sample_event()));
  std::string text = R"({"source":["iam"]})";
  auto g = content_filter::parse(text);
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->matches(sample_event()));
}

} // namespace
} // namespace herald::runtime
