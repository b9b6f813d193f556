// content_filter: invalid filters are `invalid_filter` errors whose field is
// the caller's prefix + a JSON Pointer to the offending part; cost limits.

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/content_filter.hpp"
#include "runtime/errc.hpp"

namespace herald::runtime {
namespace {

api_error error_of(std::string_view text, std::string_view prefix = "filter") {
  auto f = content_filter::parse(text, prefix);
  EXPECT_FALSE(f) << text;
  return f ? api_error{errc::none, {}, {}} : describe(f.error());
}

struct error_case {
  const char* filter;
  const char* field;
};

constexpr error_case error_cases[] = {
    // Not an object, not JSON.
    {"[]", "filter"},
    {"5", "filter"},
    {"\"source\"", "filter"},
    {"{", "filter"},
    {"", "filter"},
    {R"({"source":["iam"]} x)", "filter"},
    // Leaves must be non-empty arrays.
    {R"({"source":"iam"})", "filter/source"},
    {R"({"source":[]})", "filter/source"},
    {R"({"source":null})", "filter/source"},
    {R"({"data":{"code":404}})", "filter/data/code"},
    // Unknown keys and bad paths.
    {R"({"foo":["x"]})", "filter/foo"},
    {R"({"$or":[{"source":["x"]}]})", "filter/$or"},
    {R"({"dataschema":["x"]})", "filter/dataschema"},
    {R"({"origin.foo":["x"]})", "filter/origin.foo"},
    {R"({"origin":{"foo":["x"]}})", "filter/origin/foo"},
    {R"({"origin.trigger_id.x":["x"]})", "filter/origin.trigger_id.x"},
    {R"({"origin":["x"]})", "filter/origin"},
    {R"({"source":{"x":["a"]}})", "filter/source"},
    {R"({"source.x":["a"]})", "filter/source.x"},
    {R"({"origin":{"trigger_id":{"x":["a"]}}})", "filter/origin/trigger_id"},
    {R"({"data.":["x"]})", "filter/data."},
    {R"({"data..a":["x"]})", "filter/data..a"},
    {R"({".data":["x"]})", "filter/.data"},
    {R"({"":["x"]})", "filter/"},
    {R"({"data":{"":["x"]}})", "filter/data/"},
    {R"({"data":{}})", "filter/data"},
    {R"({"data":{"a/b":{"c~d":"x"}}})", "filter/data/a~1b/c~0d"},
    // Alternatives.
    {R"({"source":[["iam"]]})", "filter/source/0"},
    {R"({"source":["iam",{}]})", "filter/source/1"},
    {R"({"source":[{"prefix":"a","suffix":"b"}]})", "filter/source/0"},
    {R"({"source":[{"contains":"x"}]})", "filter/source/0/contains"},
    {R"({"source":[{"cidr":"10.0.0.0/8"}]})", "filter/source/0/cidr"},
    {R"({"source":[{"prefix":5}]})", "filter/source/0/prefix"},
    {R"({"source":[{"prefix":null}]})", "filter/source/0/prefix"},
    {R"({"source":[{"prefix":{"x":"a"}}]})", "filter/source/0/prefix"},
    {R"({"source":[{"prefix":{"equals-ignore-case":1}}]})",
     "filter/source/0/prefix/equals-ignore-case"},
    {R"({"source":[{"suffix":["a"]}]})", "filter/source/0/suffix"},
    {R"({"source":[{"equals-ignore-case":1}]})",
     "filter/source/0/equals-ignore-case"},
    {R"({"source":[{"wildcard":1}]})", "filter/source/0/wildcard"},
    {R"({"source":[{"wildcard":"a**b"}]})", "filter/source/0/wildcard"},
    {R"({"source":[{"wildcard":"a\\xb"}]})", "filter/source/0/wildcard"},
    {R"({"source":[{"wildcard":"ab\\"}]})", "filter/source/0/wildcard"},
    {R"({"source":[{"exists":"yes"}]})", "filter/source/0/exists"},
    {R"({"source":[{"exists":1}]})", "filter/source/0/exists"},
    // numeric.
    {R"({"data.code":[{"numeric":5}]})", "filter/data.code/0/numeric"},
    {R"({"data.code":[{"numeric":["<"]}]})", "filter/data.code/0/numeric"},
    {R"({"data.code":[{"numeric":[">",1,"<"]}]})",
     "filter/data.code/0/numeric"},
    {R"({"data.code":[{"numeric":[">",1,"<",5,"=",3]}]})",
     "filter/data.code/0/numeric"},
    {R"({"data.code":[{"numeric":["!=",5]}]})", "filter/data.code/0/numeric/0"},
    {R"({"data.code":[{"numeric":[5,"<"]}]})", "filter/data.code/0/numeric/0"},
    {R"({"data.code":[{"numeric":["<","5"]}]})",
     "filter/data.code/0/numeric/1"},
    {R"({"data.code":[{"numeric":["<",null]}]})",
     "filter/data.code/0/numeric/1"},
    {R"({"data.code":[{"numeric":["<",5,">",1]}]})",
     "filter/data.code/0/numeric/0"},
    {R"({"data.code":[{"numeric":["=",5,"<",9]}]})",
     "filter/data.code/0/numeric/0"},
    {R"({"data.code":[{"numeric":[">",1,">",5]}]})",
     "filter/data.code/0/numeric/2"},
    {R"({"data.code":[{"numeric":[">",1,"<",true]}]})",
     "filter/data.code/0/numeric/3"},
    {R"({"data.code":[{"numeric":[">",5,"<",1]}]})",
     "filter/data.code/0/numeric"},
    // anything-but.
    {R"({"user":[{"anything-but":true}]})", "filter/user/0/anything-but"},
    {R"({"user":[{"anything-but":null}]})", "filter/user/0/anything-but"},
    {R"({"user":[{"anything-but":[]}]})", "filter/user/0/anything-but"},
    {R"({"user":[{"anything-but":[true]}]})", "filter/user/0/anything-but/0"},
    {R"({"user":[{"anything-but":["a",{}]}]})", "filter/user/0/anything-but/1"},
    {R"({"user":[{"anything-but":["a",["b"]]}]})",
     "filter/user/0/anything-but/1"},
    {R"({"user":[{"anything-but":{"contains":"x"}}]})",
     "filter/user/0/anything-but"},
    {R"({"user":[{"anything-but":{"prefix":"x","suffix":"y"}}]})",
     "filter/user/0/anything-but"},
    {R"({"user":[{"anything-but":{"prefix":5}}]})",
     "filter/user/0/anything-but/prefix"},
    {R"({"user":[{"anything-but":{"wildcard":"a**"}}]})",
     "filter/user/0/anything-but/wildcard"},
};

TEST(content_filter_errors, point_at_the_offending_part) {
  for (const auto& c : error_cases) {
    auto e = error_of(c.filter);
    EXPECT_EQ(e.code, errc::invalid_filter) << c.filter;
    EXPECT_EQ(e.field, c.field) << c.filter;
    EXPECT_FALSE(e.message.empty()) << c.filter;
  }
}

TEST(content_filter_errors, messages_say_what_is_wrong) {
  EXPECT_EQ(error_of(R"({"source":[]})").message,
            "the array of alternatives is empty");
  EXPECT_NE(error_of(R"({"foo":["x"]})").message.find("unknown field 'foo'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"source":[{"contains":"x"}]})")
                .message.find("unknown operator 'contains'"),
            std::string::npos);
  EXPECT_NE(error_of("{").message.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(error_of(R"({"source":[{"wildcard":"a**b"}]})").message,
            "wildcard has consecutive '*'");
}

TEST(content_filter_errors, prefix_defaults_to_a_bare_pointer) {
  auto f = content_filter::parse(std::string_view{R"({"source":"x"})"});
  ASSERT_FALSE(f);
  EXPECT_EQ(describe(f.error()).field, "/source");
  f = content_filter::parse(nlohmann::json::array());
  ASSERT_FALSE(f);
  EXPECT_EQ(describe(f.error()).field, "");
  f = content_filter::parse(R"({"source":"x"})", "/3/filter");
  ASSERT_FALSE(f);
  EXPECT_EQ(describe(f.error()).field, "/3/filter/source");
}

TEST(content_filter_errors, rejects_numbers_and_strings_json_text_cannot_hold) {
  nlohmann::json nan_spec = {{"data.x", {std::nan("")}}};
  auto e = describe(content_filter::parse(nan_spec, "filter").error());
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.field, "filter/data.x/0");
  nlohmann::json inf_spec = {{"data.x", {{{"numeric", {"<", INFINITY}}}}}};
  e = describe(content_filter::parse(inf_spec, "filter").error());
  EXPECT_EQ(e.field, "filter/data.x/0/numeric/1");
  nlohmann::json bad_utf8 = {{"source", {std::string{"\xff"}}}};
  e = describe(content_filter::parse(bad_utf8, "filter").error());
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.field, "filter");
  // Text with a number that overflows a double is rejected as bad JSON.
  e = error_of(R"({"data.x":[1e400]})");
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.field, "filter");
}

std::string nested_filter(int objects) {
  // objects = 1 is {"data":[1]}; each more wraps one {"a": ...} level.
  std::string open = R"({"data":)";
  std::string close = "}";
  for (int i = 1; i < objects; ++i) {
    open += R"({"a":)";
    close += "}";
  }
  return open + "[1]" + close;
}

TEST(content_filter_errors, nesting_is_limited_to_32_levels) {
  EXPECT_TRUE(content_filter::parse(nested_filter(31))); // array at level 32
  auto e = error_of(nested_filter(32));
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.message, "filter is nested deeper than 32 levels");
  std::string field = "filter/data";
  for (int i = 1; i < 32; ++i)
    field += "/a";
  EXPECT_EQ(e.field, field);
  // Far deeper text fails cleanly (no recursion on input depth).
  std::string deep = std::string(30000, '[') + std::string(30000, ']');
  EXPECT_EQ(error_of(deep).code, errc::invalid_filter);
  std::string deep_obj;
  for (int i = 0; i < 8000; ++i)
    deep_obj += R"({"a":)";
  deep_obj = R"({"data":)" + deep_obj + "1" + std::string(8001, '}');
  EXPECT_EQ(error_of(deep_obj).message,
            "filter is nested deeper than 32 levels");
}

TEST(content_filter_errors, at_most_1000_alternatives_in_total) {
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < 600; ++i)
    list.push_back("v" + std::to_string(i));
  nlohmann::json ok = {{"source", list}, {"user", {{{"anything-but", list}}}}};
  // 600 + 600 = 1200 > 1000; the user list crosses the limit.
  auto e = describe(content_filter::parse(ok, "filter").error());
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.field, "filter/user/0/anything-but/400");
  nlohmann::json exact = {
      {"source", list},
      {"tenant", nlohmann::json(list.begin(), list.begin() + 400)}};
  EXPECT_TRUE(content_filter::parse(exact));
  exact["user"] = {"x"}; // keys are read in sorted order: user comes last
  e = describe(content_filter::parse(exact, "filter").error());
  EXPECT_EQ(e.field, "filter/user/0");
}

TEST(content_filter_errors, text_is_limited_to_64_kib) {
  std::string big = R"({"source":[")" + std::string(64 * 1024, 'x') + "\"]}";
  auto e = error_of(big);
  EXPECT_EQ(e.code, errc::invalid_filter);
  EXPECT_EQ(e.field, "filter");
  EXPECT_EQ(e.message, "filter is larger than 64 KiB");
  nlohmann::json spec = {{"source", {std::string(64 * 1024, 'x')}}};
  e = describe(content_filter::parse(spec, "filter").error());
  EXPECT_EQ(e.message, "filter is larger than 64 KiB");
  std::string fits = R"({"source":[")" + std::string(60 * 1024, 'x') + "\"]}";
  EXPECT_TRUE(content_filter::parse(fits));
}

} // namespace
} // namespace herald::runtime
