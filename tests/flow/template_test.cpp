#include "runtime/flow/template.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;
using runtime::errc;

template_scope full_scope(std::vector<std::string> steps = {}) {
  template_scope s;
  s.input = s.event = s.fire_time = s.task = true;
  s.steps = std::move(steps);
  return s;
}

/// A context with every root present.
struct fixture_context {
  json input = {{"who", "alice"},
                {"n", 5},
                {"pi", 2.5},
                {"ok", true},
                {"nothing", nullptr},
                {"obj", {{"a", 1}, {"b", "x"}}},
                {"items", {"zero", "one", {{"deep", "two"}}}},
                {"digits", {{"0", "key zero"}}}};
  json event = {{"name", "iam.user.created"},
                {"user", "bob"},
                {"data", {{"user", "carol"}, {"tags", {"a", "b"}}}}};
  json steps = {{"fetch", {{"output", {{"status", 200}, {"ids", {7, 8}}}}}},
                {"a.b", {{"output", "dotted"}}}};
  template_context ctx() const {
    template_context c;
    c.input = &input;
    c.event = &event;
    c.fire_time = "2026-01-02T03:04:05Z";
    c.task_id = "task-1";
    c.steps = &steps;
    return c;
  }
};

json_template
compile_ok(const json& value,
           const template_scope& scope = full_scope({"fetch", "a.b"})) {
  auto t = json_template::compile(value, scope, "/f");
  EXPECT_TRUE(t) << value.dump() << ": " << caf::to_string(t.error());
  return t ? *t : json_template{};
}

json render_ok(const json& value) {
  fixture_context f;
  auto out = compile_ok(value).render(f.ctx());
  EXPECT_TRUE(out) << value.dump() << ": " << caf::to_string(out.error());
  return out ? *out : json("<error>");
}

void expect_error(const caf::error& err, errc code, const std::string& field,
                  const std::string& says) {
  auto d = runtime::describe(err);
  EXPECT_EQ(d.code, code) << d.message;
  EXPECT_EQ(d.field, field) << d.message;
  EXPECT_NE(d.message.find(says), std::string::npos)
      << "'" << d.message << "' does not say '" << says << "'";
}

void compile_fails(const json& value, const std::string& field,
                   const std::string& says,
                   const template_scope& scope = full_scope({"fetch"})) {
  auto t = json_template::compile(value, scope, "/steps/0/emit/data");
  ASSERT_FALSE(t) << value.dump() << " compiled";
  expect_error(t.error(), errc::invalid_field, "/steps/0/emit/data" + field,
               says);
}

// -- constants and escapes ----------------------------------------------------

TEST(json_template, constant_values_render_as_given) {
  for (auto v : {json(nullptr), json(1), json("text"), json::array({1, "a"}),
                 json{{"k", {{"n", false}}}}, json::object()}) {
    auto t = compile_ok(v);
    EXPECT_TRUE(t.is_constant()) << v.dump();
    EXPECT_EQ(render_ok(v), v);
    EXPECT_EQ(t.source(), v);
  }
}

TEST(json_template, dollar_dollar_brace_writes_a_literal_placeholder) {
  auto t = compile_ok("$${input.who}");
  EXPECT_TRUE(t.is_constant());
  EXPECT_EQ(render_ok("$${input.who}"), "${input.who}");
  EXPECT_EQ(t.source(), "$${input.who}"); // source stays as given
  EXPECT_EQ(render_ok("a $${x} b ${input.who}"), "a ${x} b alice");
  EXPECT_EQ(render_ok("$${input.who}${input.who}"), "${input.who}alice");
  EXPECT_EQ(render_ok({{"k", "$${"}}), json({{"k", "${"}}));
}

TEST(json_template, a_dollar_without_brace_is_text) {
  EXPECT_EQ(render_ok("cost: $5"), "cost: $5");
  EXPECT_EQ(render_ok("$$"), "$$");
  EXPECT_EQ(render_ok("$"), "$");
  EXPECT_EQ(render_ok("a}b{"), "a}b{");
  EXPECT_EQ(render_ok("$${input.who} ends with }"), "${input.who} ends with }");
  EXPECT_TRUE(compile_ok("cost: $5 {x}").is_constant());
}

// -- whole-string placeholders insert JSON values -----------------------------

TEST(json_template, whole_string_input_placeholders_insert_the_value) {
  fixture_context f;
  EXPECT_EQ(render_ok("${input}"), f.input);
  EXPECT_EQ(render_ok("${input.who}"), "alice");
  EXPECT_EQ(render_ok("${input.n}"), 5);
  EXPECT_EQ(render_ok("${input.pi}"), 2.5);
  EXPECT_EQ(render_ok("${input.ok}"), true);
  EXPECT_EQ(render_ok("${input.nothing}"), nullptr);
  EXPECT_EQ(render_ok("${input.obj}"), json({{"a", 1}, {"b", "x"}}));
  EXPECT_EQ(render_ok("${input.obj.b}"), "x");
  EXPECT_FALSE(compile_ok("${input.who}").is_constant());
}

TEST(json_template, digit_segments_index_arrays_and_name_object_keys) {
  EXPECT_EQ(render_ok("${input.items.0}"), "zero");
  EXPECT_EQ(render_ok("${input.items.1}"), "one");
  EXPECT_EQ(render_ok("${input.items.2.deep}"), "two");
  EXPECT_EQ(render_ok("${input.digits.0}"), "key zero");
  EXPECT_EQ(render_ok("${event.data.tags.1}"), "b");
  EXPECT_EQ(render_ok("${steps.fetch.output.ids.0}"), 7);
}

TEST(json_template, every_root_renders) {
  fixture_context f;
  EXPECT_EQ(render_ok("${event}"), f.event);
  EXPECT_EQ(render_ok("${event.user}"), "bob");
  EXPECT_EQ(render_ok("${event.data.user}"), "carol");
  EXPECT_EQ(render_ok("${fire_time}"), "2026-01-02T03:04:05Z");
  EXPECT_EQ(render_ok("${task.id}"), "task-1");
  EXPECT_EQ(render_ok("${steps.fetch.output}"),
            json({{"status", 200}, {"ids", {7, 8}}}));
  EXPECT_EQ(render_ok("${steps.fetch.output.status}"), 200);
  EXPECT_EQ(render_ok("${steps.a.b.output}"), "dotted");
}

// -- placeholders inside text -------------------------------------------------

TEST(json_template, embedded_placeholders_insert_text) {
  EXPECT_EQ(render_ok("hi ${input.who}!"), "hi alice!");
  EXPECT_EQ(render_ok("n=${input.n}"), "n=5");
  EXPECT_EQ(render_ok("pi=${input.pi}"), "pi=2.5");
  EXPECT_EQ(render_ok("ok=${input.ok} none=${input.nothing}"),
            "ok=true none=null");
  EXPECT_EQ(render_ok("obj=${input.obj}"), R"(obj={"a":1,"b":"x"})");
  EXPECT_EQ(render_ok("ids=${steps.fetch.output.ids}"), "ids=[7,8]");
  EXPECT_EQ(render_ok("${input.who}${input.n}"), "alice5");
  EXPECT_EQ(render_ok("${input.who} "), "alice ");
  EXPECT_EQ(render_ok(" ${fire_time}"), " 2026-01-02T03:04:05Z");
  EXPECT_EQ(render_ok("task ${task.id} by ${event.user}"),
            "task task-1 by bob");
}

TEST(json_template, strings_anywhere_in_the_value_are_templated_but_not_keys) {
  json tpl = {{"who", "${input.who}"},
              {"${input.who}", "key stays"},
              {"list", {"${input.n}", "x${input.n}", 3}},
              {"deep", {{"deeper", {{"t", "${task.id}"}}}}}};
  json want = {{"who", "alice"},
               {"${input.who}", "key stays"},
               {"list", {5, "x5", 3}},
               {"deep", {{"deeper", {{"t", "task-1"}}}}}};
  EXPECT_EQ(render_ok(tpl), want);
}

TEST(json_template, copies_share_the_compiled_form_and_render_alike) {
  fixture_context f;
  auto t = compile_ok({{"a", "${input.who}"}});
  auto copy = t;
  auto first = t.render(f.ctx());
  auto second = copy.render(f.ctx());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(*first, json({{"a", "alice"}}));
  // Rendering does not change the template.
  f.input["who"] = "zed";
  EXPECT_EQ(*t.render(f.ctx()), json({{"a", "zed"}}));
}

TEST(json_template, default_constructed_renders_null) {
  json_template t;
  EXPECT_TRUE(t.is_constant());
  EXPECT_EQ(*t.render({}), nullptr);
}

// -- compile errors -----------------------------------------------------------

TEST(json_template_compile, unknown_root_is_refused_with_its_pointer) {
  compile_fails({{"who", "${user.name}"}}, "/who",
                "${user.name} refers to nothing");
  compile_fails({{"who", "x ${inputs}"}}, "/who",
                "${inputs} refers to nothing");
}

TEST(json_template_compile, a_later_or_unknown_step_is_refused) {
  compile_fails({{"who", "${steps.later.output}"}}, "/who",
                "${steps.later.output} refers to no earlier step");
  compile_fails({{"who", "${steps.nope.output.x}"}}, "/who",
                "refers to no earlier step");
  compile_fails({{"who", "${steps.nope}"}}, "/who",
                "refers to no earlier step");
}

TEST(json_template_compile, a_step_reference_must_go_through_output) {
  compile_fails({{"who", "${steps.fetch}"}}, "/who",
                "must be ${steps.NAME.output");
  compile_fails({{"who", "${steps.fetch.state}"}}, "/who",
                "must be ${steps.NAME.output");
  compile_fails({{"who", "${steps}"}}, "/who", "must be ${steps.NAME.output");
}

TEST(json_template_compile, roots_the_scope_lacks_are_refused) {
  template_scope none;
  none.input = none.task = false;
  compile_fails("${event.user}", "", "does not exist here", none);
  compile_fails("${fire_time}", "", "does not exist here", none);
  compile_fails("${input.who}", "", "does not exist here", none);
  compile_fails("${task.id}", "", "does not exist here", none);
  compile_fails("${steps.fetch.output}", "", "refers to no earlier step", none);
}

TEST(json_template_compile, malformed_placeholders_are_refused) {
  compile_fails({{"a", "x ${input.who"}}, "/a", "is not closed");
  compile_fails({{"a", "${"}}, "/a", "is not closed");
  compile_fails({{"a", "${}"}}, "/a", "is empty");
  compile_fails({{"a", "${input..who}"}}, "/a", "empty segment");
  compile_fails({{"a", "${input.}"}}, "/a", "empty segment");
  compile_fails({{"a", "${.input}"}}, "/a", "empty segment");
  compile_fails({{"a", "${input.a b}"}}, "/a", "unexpected character ' '");
  compile_fails({{"a", "${ input}"}}, "/a", "unexpected character");
  compile_fails({{"a", "${input.${x}"}}, "/a", "unexpected character '$'");
  compile_fails({{"a", "${fire_time.x}"}}, "/a", "no members");
  compile_fails({{"a", "${task}"}}, "/a", "only ${task.id}");
  compile_fails({{"a", "${task.name}"}}, "/a", "only ${task.id}");
}

TEST(json_template_compile, error_pointers_reach_into_arrays_and_escape_keys) {
  compile_fails({{"list", {"ok", "${nope}"}}}, "/list/1", "${nope}");
  compile_fails({{"a/b", {{"c~d", "${nope}"}}}}, "/a~1b/c~0d", "${nope}");
  compile_fails("${nope}", "", "${nope}");
}

// -- render errors ------------------------------------------------------------

void render_fails(const json& value, const template_context& ctx,
                  const std::string& field, const std::string& says) {
  auto t = compile_ok(value);
  auto out = t.render(ctx);
  ASSERT_FALSE(out) << value.dump() << " rendered " << out->dump();
  expect_error(out.error(), errc::invalid_field, "/f" + field, says);
}

TEST(json_template_render, a_path_without_value_names_the_placeholder) {
  fixture_context f;
  auto ctx = f.ctx();
  render_fails({{"w", "${input.nobody}"}}, ctx, "/w",
               "${input.nobody} has no value");
  render_fails({{"w", "x ${input.nobody}"}}, ctx, "/w",
               "${input.nobody} has no value");
  render_fails({{"w", "${input.items.3}"}}, ctx, "/w", "${input.items.3}");
  render_fails({{"w", "${input.who.0}"}}, ctx, "/w", "${input.who.0}");
  render_fails({{"w", "${input.obj.x}"}}, ctx, "/w", "${input.obj.x}");
  render_fails({{"w", "${event.data.none}"}}, ctx, "/w", "has no value");
  render_fails({{"l", {"${steps.fetch.output.ids.2}"}}}, ctx, "/l/0",
               "has no value");
}

TEST(json_template_render, an_absent_root_has_no_value) {
  template_context empty;
  render_fails("${input}", empty, "", "${input} has no value");
  render_fails("${event.name}", empty, "", "${event.name} has no value");
  render_fails("${fire_time}", empty, "", "${fire_time} has no value");
  render_fails("at ${task.id}", empty, "", "${task.id} has no value");
  render_fails("${steps.fetch.output}", empty, "", "has no value");
  fixture_context f;
  json steps = {{"a.b", {{"output", 1}}}}; // fetch has not ended
  auto ctx = f.ctx();
  ctx.steps = &steps;
  render_fails("${steps.fetch.output}", ctx, "",
               "${steps.fetch.output} has no value");
}

// -- text templates -----------------------------------------------------------

TEST(json_template_text, renders_to_json_with_placeholders_as_text) {
  fixture_context f;
  auto t = json_template::compile_text(
      R"({"who": "${input.who}", "n": ${input.n}, "obj": ${input.obj}})",
      full_scope(), "/input_template");
  ASSERT_TRUE(t) << caf::to_string(t.error());
  EXPECT_FALSE(t->is_constant());
  EXPECT_TRUE(t->source().is_string());
  auto out = t->render(f.ctx());
  ASSERT_TRUE(out) << caf::to_string(out.error());
  EXPECT_EQ(*out, json({{"who", "alice"}, {"n", 5}, {"obj", f.input["obj"]}}));
  auto whole = json_template::compile_text("${input}", full_scope(), "/t");
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole->render(f.ctx()), f.input);
}

TEST(json_template_text, constant_text_is_checked_at_compile) {
  auto ok =
      json_template::compile_text(R"({"a": "$${x}"})", full_scope(), "/t");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->is_constant());
  EXPECT_EQ(*ok->render({}), json({{"a", "${x}"}}));
  auto bad = json_template::compile_text("{not json", full_scope(), "/t");
  ASSERT_FALSE(bad);
  expect_error(bad.error(), errc::invalid_field, "/t", "not JSON");
}

TEST(json_template_text, errors_name_the_field_and_the_placeholder) {
  fixture_context f;
  auto bad = json_template::compile_text(R"({"a": "${nope}"})", full_scope(),
                                         "/input_template");
  ASSERT_FALSE(bad);
  expect_error(bad.error(), errc::invalid_field, "/input_template",
               "${nope} refers to nothing");
  auto t = json_template::compile_text(R"({"a": ${input.who}})", full_scope(),
                                       "/input_template");
  ASSERT_TRUE(t);
  auto out = t->render(f.ctx()); // {"a": alice}
  ASSERT_FALSE(out);
  expect_error(out.error(), errc::invalid_field, "/input_template", "not JSON");
  auto missing = json_template::compile_text(R"({"a": "${input.x}"})",
                                             full_scope(), "/input_template");
  ASSERT_TRUE(missing);
  auto out2 = missing->render(f.ctx());
  ASSERT_FALSE(out2);
  expect_error(out2.error(), errc::invalid_field, "/input_template",
               "${input.x} has no value");
}

TEST(json_template_text, render_text_member_never_inserts_json) {
  fixture_context f;
  auto t = compile_ok("${input.n}");
  EXPECT_EQ(*t.render(f.ctx()), 5);
  EXPECT_EQ(*t.render_text(f.ctx()), "5");
  EXPECT_EQ(*compile_ok("${input.who}").render_text(f.ctx()), "alice");
  EXPECT_EQ(*compile_ok("a $${b}").render_text(f.ctx()), "a ${b}");
  EXPECT_EQ(*compile_ok({{"a", "${input.n}"}}).render_text(f.ctx()),
            R"({"a":5})");
  auto missing = compile_ok("${input.x}").render_text(f.ctx());
  ASSERT_FALSE(missing);
  expect_error(missing.error(), errc::invalid_field, "/f", "${input.x}");
}

TEST(render_text, renders_every_root_as_text) {
  fixture_context f;
  auto out = render_text("${event.user} at ${fire_time} in ${task.id}: "
                         "${input.n} ${input.obj} ${steps.fetch.output.status} "
                         "$${literal}",
                         f.ctx());
  ASSERT_TRUE(out) << caf::to_string(out.error());
  EXPECT_EQ(*out, R"(bob at 2026-01-02T03:04:05Z in task-1: 5 {"a":1,"b":"x"})"
                  " 200 ${literal}");
}

TEST(render_text, malformed_or_missing_placeholders_fail) {
  fixture_context f;
  auto unclosed = render_text("a ${input.who", f.ctx());
  ASSERT_FALSE(unclosed);
  expect_error(unclosed.error(), errc::invalid_field, "", "is not closed");
  auto unknown = render_text("${who}", f.ctx());
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), errc::invalid_field, "", "refers to nothing");
  auto missing = render_text("${input.x}", f.ctx());
  ASSERT_FALSE(missing);
  expect_error(missing.error(), errc::invalid_field, "",
               "${input.x} has no value");
}

} // namespace
} // namespace herald::flow
