#include "runtime/flow/workflow.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;
using runtime::errc;

input_schema schema_ok(const json& s) {
  auto out = input_schema::compile(s, "/input_schema");
  EXPECT_TRUE(out) << s.dump() << ": " << caf::to_string(out.error());
  return out ? *out : *input_schema::compile(json::object(), "");
}

void schema_fails(const json& s, errc code, const std::string& field) {
  auto out = input_schema::compile(s, "/input_schema");
  ASSERT_FALSE(out) << s.dump() << " compiled";
  auto d = runtime::describe(out.error());
  EXPECT_EQ(d.code, code) << d.message;
  EXPECT_EQ(d.field, field) << d.message;
}

/// check() of `value` against `s`: "" when it passes.
std::string check(const json& s, const json& value) {
  return schema_ok(s).check(value);
}

TEST(input_schema, empty_schema_accepts_everything) {
  for (auto v : {json(1), json("s"), json::object(), json(nullptr)})
    EXPECT_EQ(check(json::object(), v), "");
  EXPECT_EQ(schema_ok({{"title", "t"}}).source(), json({{"title", "t"}}));
}

TEST(input_schema, type) {
  struct row {
    const char* type;
    json passes;
    json fails;
  };
  const row rows[] = {
      {"object", json::object(), json::array()},
      {"array", json::array(), json::object()},
      {"string", "s", 1},
      {"number", 1.5, "1.5"},
      {"integer", 2, 2.5},
      {"boolean", false, 0},
      {"null", nullptr, false},
  };
  for (const auto& r : rows) {
    json s = {{"type", r.type}};
    EXPECT_EQ(check(s, r.passes), "") << r.type;
    auto why = check(s, r.fails);
    EXPECT_EQ(why.rfind("/: expected " + std::string{r.type} + ", got", 0), 0u)
        << why;
  }
  EXPECT_EQ(check({{"type", "integer"}}, 2.0), "");
  EXPECT_EQ(check({{"type", "number"}}, 2), "");
  EXPECT_EQ(check({{"type", {"string", "null"}}}, nullptr), "");
  EXPECT_EQ(check({{"type", {"string", "null"}}}, 1),
            "/: expected string or null, got integer");
  schema_fails({{"type", "text"}}, errc::invalid_field, "/input_schema/type");
  schema_fails({{"type", json::array()}}, errc::invalid_field,
               "/input_schema/type");
  schema_fails({{"type", {"string", "string"}}}, errc::invalid_field,
               "/input_schema/type");
  schema_fails({{"type", 1}}, errc::invalid_field, "/input_schema/type");
}

TEST(input_schema, required_properties_and_additional_properties) {
  json s = {{"type", "object"},
            {"required", {"who", "a/b"}},
            {"properties",
             {{"who", {{"type", "string"}}},
              {"a/b", json::object()},
              {"age", {{"type", "integer"}, {"minimum", 0}}}}},
            {"additionalProperties", false}};
  EXPECT_EQ(check(s, {{"who", "x"}, {"a/b", 1}}), "");
  EXPECT_EQ(check(s, {{"a/b", 1}}), "/who: required property missing");
  EXPECT_EQ(check(s, {{"who", "x"}}), "/a~1b: required property missing");
  EXPECT_EQ(check(s, {{"who", 1}, {"a/b", 1}}),
            "/who: expected string, got integer");
  EXPECT_EQ(check(s, {{"who", "x"}, {"a/b", 1}, {"age", -1}}),
            "/age: less than the minimum 0");
  EXPECT_EQ(check(s, {{"who", "x"}, {"a/b", 1}, {"extra", 1}}),
            "/extra: property not allowed");
  s["additionalProperties"] = true;
  EXPECT_EQ(check(s, {{"who", "x"}, {"a/b", 1}, {"extra", 1}}), "");
  // Object keywords do not apply to other types.
  EXPECT_EQ(check({{"required", {"x"}}}, "text"), "");
  schema_fails({{"required", "who"}}, errc::invalid_field,
               "/input_schema/required");
  schema_fails({{"required", {1}}}, errc::invalid_field,
               "/input_schema/required");
  schema_fails({{"properties", {"who"}}}, errc::invalid_field,
               "/input_schema/properties");
  schema_fails({{"properties", {{"who", "string"}}}}, errc::invalid_field,
               "/input_schema/properties/who");
  schema_fails(
      {{"properties", {{"a", {{"properties", {{"b", {{"minimum", "x"}}}}}}}}}},
      errc::invalid_field, "/input_schema/properties/a/properties/b/minimum");
  schema_fails({{"properties", {{"a", {{"oneOf", json::array()}}}}}},
               errc::unknown_field, "/input_schema/properties/a/oneOf");
  schema_fails({{"additionalProperties", json::object()}}, errc::invalid_field,
               "/input_schema/additionalProperties");
}

TEST(input_schema, enum_and_const) {
  json s = {{"enum", {"a", 1, nullptr}}};
  EXPECT_EQ(check(s, "a"), "");
  EXPECT_EQ(check(s, 1.0), "");
  EXPECT_EQ(check(s, nullptr), "");
  EXPECT_EQ(check(s, "b"), R"(/: not one of ["a",1,null])");
  EXPECT_EQ(check({{"const", {{"k", 1}}}}, {{"k", 1}}), "");
  EXPECT_EQ(check({{"const", "x"}}, "y"), R"(/: must be "x")");
  schema_fails({{"enum", json::array()}}, errc::invalid_field,
               "/input_schema/enum");
  schema_fails({{"enum", "a"}}, errc::invalid_field, "/input_schema/enum");
}

TEST(input_schema, numeric_bounds) {
  EXPECT_EQ(check({{"minimum", 5}}, 5), "");
  EXPECT_EQ(check({{"minimum", 5}}, 4.9), "/: less than the minimum 5");
  EXPECT_EQ(check({{"maximum", 5}}, 5), "");
  EXPECT_EQ(check({{"maximum", 5}}, 6), "/: more than the maximum 5");
  EXPECT_EQ(check({{"exclusiveMinimum", 5}}, 5.1), "");
  EXPECT_EQ(check({{"exclusiveMinimum", 5}}, 5), "/: must be more than 5");
  EXPECT_EQ(check({{"exclusiveMaximum", 5}}, 4), "");
  EXPECT_EQ(check({{"exclusiveMaximum", 5}}, 5), "/: must be less than 5");
  EXPECT_EQ(check({{"minimum", 5}}, "1"), ""); // numbers only
  for (auto kw : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
    schema_fails({{kw, "5"}}, errc::invalid_field,
                 "/input_schema/" + std::string{kw});
  schema_fails({{"exclusiveMinimum", true}}, errc::invalid_field,
               "/input_schema/exclusiveMinimum");
}

TEST(input_schema, string_lengths_count_code_points) {
  EXPECT_EQ(check({{"minLength", 2}}, "ab"), "");
  EXPECT_EQ(check({{"minLength", 2}}, "a"), "/: shorter than 2 characters");
  EXPECT_EQ(check({{"maxLength", 2}}, "üß"), "");
  EXPECT_EQ(check({{"maxLength", 2}}, "abc"), "/: longer than 2 characters");
  EXPECT_EQ(check({{"maxLength", 2}}, 12345), "");
  for (json bad : {json(-1), json(1.5), json("2")})
    schema_fails({{"minLength", bad}}, errc::invalid_field,
                 "/input_schema/minLength");
  schema_fails({{"maxLength", -3}}, errc::invalid_field,
               "/input_schema/maxLength");
  EXPECT_EQ(check({{"maxLength", 2.0}}, "ab"), "");
}

TEST(input_schema, pattern_is_an_unanchored_ecmascript_search) {
  EXPECT_EQ(check({{"pattern", "^[a-z]+$"}}, "abc"), "");
  EXPECT_EQ(check({{"pattern", "^[a-z]+$"}}, "abc1"),
            "/: does not match the pattern ^[a-z]+$");
  EXPECT_EQ(check({{"pattern", "b"}}, "abc"), "");
  EXPECT_EQ(check({{"pattern", "\\d{3}"}}, "x123"), "");
  EXPECT_EQ(check({{"pattern", "^a"}}, 1), "");
  EXPECT_EQ(check({{"pattern", "a"}}, std::string(1025, 'a')),
            "/: longer than 1024 bytes, the most `pattern` checks");
  EXPECT_EQ(check({{"pattern", "a"}}, std::string(1024, 'a')), "");
  schema_fails({{"pattern", "(unclosed"}}, errc::invalid_field,
               "/input_schema/pattern");
  schema_fails({{"pattern", "[z-a]"}}, errc::invalid_field,
               "/input_schema/pattern");
  schema_fails({{"pattern", 1}}, errc::invalid_field, "/input_schema/pattern");
  schema_fails({{"pattern", std::string(1025, 'a')}}, errc::invalid_field,
               "/input_schema/pattern");
}

TEST(input_schema, items_and_item_counts) {
  json s = {{"type", "array"},
            {"items", {{"type", "integer"}}},
            {"minItems", 1},
            {"maxItems", 2}};
  EXPECT_EQ(check(s, {1, 2}), "");
  EXPECT_EQ(check(s, json::array()), "/: fewer than 1 items");
  EXPECT_EQ(check(s, {1, 2, 3}), "/: more than 2 items");
  EXPECT_EQ(check(s, {1, "x"}), "/1: expected integer, got string");
  json nested = {{"properties", {{"l", {{"items", {{"required", {"id"}}}}}}}}};
  EXPECT_EQ(check(nested, {{"l", {{{"id", 1}}, json::object()}}}),
            "/l/1/id: required property missing");
  schema_fails({{"items", {{{"type", "string"}}}}}, errc::invalid_field,
               "/input_schema/items");
  schema_fails({{"items", "string"}}, errc::invalid_field,
               "/input_schema/items");
  schema_fails({{"items", {{"types", "string"}}}}, errc::unknown_field,
               "/input_schema/items/types");
  schema_fails({{"minItems", -1}}, errc::invalid_field,
               "/input_schema/minItems");
  schema_fails({{"maxItems", "1"}}, errc::invalid_field,
               "/input_schema/maxItems");
}

TEST(input_schema, annotations_are_accepted_and_other_keywords_refused) {
  EXPECT_EQ(check({{"title", "T"},
                   {"description", "D"},
                   {"default", 1},
                   {"$schema", "https://json-schema.org/draft/2020-12/schema"},
                   {"$id", "x"},
                   {"examples", {1}},
                   {"type", "integer"}},
                  3),
            "");
  for (auto kw : {"allOf", "anyOf", "not", "$ref", "format", "uniqueItems",
                  "patternProperties", "dependentRequired", "$comment"})
    schema_fails({{kw, json::object()}}, errc::unknown_field,
                 "/input_schema/" + std::string{kw});
  schema_fails({{"a/b", 1}}, errc::unknown_field, "/input_schema/a~1b");
}

TEST(input_schema, a_schema_that_is_not_an_object) {
  for (json bad : {json(true), json(false), json(1), json("s"), json::array()})
    schema_fails(bad, errc::invalid_field, "/input_schema");
}

TEST(input_schema, copies_share_the_compiled_regexes) {
  auto a = schema_ok({{"pattern", "^x"}});
  auto b = a;
  EXPECT_EQ(a.check("xy"), "");
  EXPECT_NE(b.check("yx"), "");
  input_schema empty;
  EXPECT_EQ(empty.check(1), "");
}

} // namespace
} // namespace herald::flow
