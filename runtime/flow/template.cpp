#include "runtime/flow/template.hpp"
#include "runtime/text_util.hpp"

#include <charconv>
#include <cstdint>

#include "runtime/errc.hpp"
#include "runtime/flow/detail.hpp"

namespace herald::flow {

using runtime::errc;
using json = nlohmann::json;

namespace {

enum class root_kind : uint8_t { input, event, fire_time, task_id, step };

/// One path segment; digits also index an array (precomputed here so that
/// render() never parses a number).
struct segment {
  std::string key;
  bool is_index = false;
  size_t index = 0;
};

/// A placeholder resolved against the scope at compile time.
struct placeholder {
  root_kind root = root_kind::input;
  std::string step;          ///< root == step: the step's name
  std::vector<segment> path; ///< below the root (below `output` for a step)
  std::string text;          ///< as written, "${input.who}", for messages
};

/// A piece of a templated string: literal text or a placeholder.
struct part {
  std::string literal;
  std::optional<placeholder> ref;
};

/// A string of a template, cut into its parts once.
struct compiled_string {
  std::vector<part> parts;

  bool has_refs() const noexcept {
    for (const auto& p : parts)
      if (p.ref)
        return true;
    return false;
  }
  /// Exactly one placeholder and nothing else: inserts the JSON value.
  bool whole() const noexcept { return parts.size() == 1 && parts[0].ref; }
  /// The text of a string without placeholders (escapes resolved).
  std::string literal_text() const {
    std::string out;
    for (const auto& p : parts)
      out += p.literal;
    return out;
  }
};

/// One step from a value's root to a templated string inside it.
struct location_step {
  std::string key;
  size_t index = 0;
  bool is_index = false;
};

/// A templated string inside a JSON value.
struct hole {
  std::vector<location_step> where;
  compiled_string str;
  std::string field; ///< field prefix + JSON Pointer, for render errors
};

caf::error invalid(std::string message, std::string field) {
  return runtime::make_api_error(errc::invalid_field, std::move(message),
                                 std::move(field));
}

/// Characters a path segment may not hold.
bool is_segment_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != '.' && c != '{' && c != '}' && c != '$';
}

std::string join(const std::vector<std::string_view>& segs, size_t from,
                 size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from)
      out += '.';
    out += segs[i];
  }
  return out;
}

std::vector<segment> make_path(const std::vector<std::string_view>& segs,
                               size_t from) {
  std::vector<segment> out;
  for (size_t i = from; i < segs.size(); ++i) {
    segment s;
    s.key = std::string{segs[i]};
    size_t idx = 0;
    auto [end, ec] =
        std::from_chars(s.key.data(), s.key.data() + s.key.size(), idx);
    if (ec == std::errc{} && end == s.key.data() + s.key.size() &&
        s.key.find_first_not_of("0123456789") == std::string::npos) {
      s.is_index = true;
      s.index = idx;
    }
    out.push_back(std::move(s));
  }
  return out;
}

/// Resolves the body of `${…}` against `scope` (null: everything allowed,
/// any step name). Errors name the placeholder; the caller adds the field.
caf::expected<placeholder> parse_placeholder(std::string_view body,
                                             const template_scope* scope,
                                             const std::string& field) {
  placeholder out;
  out.text = "${" + std::string{body} + "}";
  const auto& text = out.text;
  if (body.empty())
    return invalid("'" + text + "' is empty: a placeholder names a value",
                   field);
  std::vector<std::string_view> segs;
  size_t start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i == body.size() || body[i] == '.') {
      if (i == start)
        return invalid("malformed placeholder '" + text + "': empty segment",
                       field);
      segs.push_back(body.substr(start, i - start));
      start = i + 1;
    } else if (!is_segment_char(body[i])) {
      return invalid("malformed placeholder '" + text +
                         "': unexpected character '" + std::string(1, body[i]) +
                         "'",
                     field);
    }
  }
  auto unavailable = [&](std::string_view what) {
    return invalid(text + " refers to " + std::string{what} +
                       ", which does not exist here",
                   field);
  };
  auto root = segs[0];
  if (root == "input") {
    if (scope && !scope->input)
      return unavailable("the input");
    out.root = root_kind::input;
    out.path = make_path(segs, 1);
    return out;
  }
  if (root == "event") {
    if (scope && !scope->event)
      return unavailable("an event");
    out.root = root_kind::event;
    out.path = make_path(segs, 1);
    return out;
  }
  if (root == "fire_time") {
    if (segs.size() > 1)
      return invalid(text + ": fire_time is a text and has no members", field);
    if (scope && !scope->fire_time)
      return unavailable("a schedule's fire time");
    out.root = root_kind::fire_time;
    return out;
  }
  if (root == "task") {
    if (segs.size() != 2 || segs[1] != "id")
      return invalid(text + " refers to nothing: a task offers only ${task.id}",
                     field);
    if (scope && !scope->task)
      return unavailable("a task");
    out.root = root_kind::task_id;
    return out;
  }
  if (root == "steps") {
    // The shortest earlier step name followed by `.output` (names may hold
    // dots).
    bool named_a_step = false;
    for (size_t k = 2; k < segs.size(); ++k) {
      if (segs[k] != "output")
        continue;
      auto name = join(segs, 1, k);
      bool known = !scope;
      if (scope)
        for (const auto& s : scope->steps)
          if (s == name) {
            known = true;
            break;
          }
      if (known) {
        out.root = root_kind::step;
        out.step = std::move(name);
        out.path = make_path(segs, k + 1);
        return out;
      }
    }
    if (scope)
      for (size_t k = 2; k <= segs.size() && !named_a_step; ++k)
        for (const auto& s : scope->steps)
          if (s == join(segs, 1, k))
            named_a_step = true;
    if (!scope || named_a_step || segs.size() < 2)
      return invalid(text + " must be ${steps.NAME.output…}", field);
    return invalid(text + " refers to no earlier step", field);
  }
  return invalid(text + " refers to nothing: placeholders start with input, "
                        "event, fire_time, task.id or steps.NAME.output",
                 field);
}

/// Cuts `s` into literal text and placeholders. `$${` is a literal `${`.
caf::expected<compiled_string> scan(std::string_view s,
                                    const template_scope* scope,
                                    const std::string& field) {
  compiled_string out;
  std::string literal;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '$') {
      literal += s[i++];
      continue;
    }
    if (s.substr(i, 3) == "$${") {
      literal += "${";
      i += 3;
      continue;
    }
    if (s.substr(i, 2) != "${") {
      literal += s[i++];
      continue;
    }
    auto close = s.find('}', i + 2);
    if (close == std::string_view::npos) {
      auto rest = s.substr(i, 40);
      return invalid("'" + std::string{rest} + (s.size() - i > 40 ? "…" : "") +
                         "' is not closed: '${' needs its '}' (write '$${' "
                         "for a literal '${')",
                     field);
    }
    auto ph = parse_placeholder(s.substr(i + 2, close - i - 2), scope, field);
    if (!ph)
      return std::move(ph.error());
    if (!literal.empty())
      out.parts.push_back({std::move(literal), std::nullopt});
    literal.clear();
    out.parts.push_back({{}, std::move(*ph)});
    i = close + 1;
  }
  if (!literal.empty() || out.parts.empty())
    out.parts.push_back({std::move(literal), std::nullopt});
  return out;
}

/// A placeholder's value in a run: a JSON value or a text.
struct value_ref {
  const json* value = nullptr;
  const std::string* text = nullptr;
  explicit operator bool() const noexcept { return value || text; }
};

const json* descend(const json* v, const std::vector<segment>& path) {
  for (const auto& seg : path) {
    if (v->is_object()) {
      auto it = v->find(seg.key);
      if (it == v->end())
        return nullptr;
      v = &*it;
    } else if (v->is_array() && seg.is_index) {
      if (seg.index >= v->size())
        return nullptr;
      v = &(*v)[seg.index];
    } else {
      return nullptr;
    }
  }
  return v;
}

value_ref resolve(const placeholder& ph, const template_context& ctx) {
  switch (ph.root) {
  case root_kind::input:
    return {ctx.input ? descend(ctx.input, ph.path) : nullptr, nullptr};
  case root_kind::event:
    return {ctx.event ? descend(ctx.event, ph.path) : nullptr, nullptr};
  case root_kind::fire_time:
    return {nullptr, ctx.fire_time ? &*ctx.fire_time : nullptr};
  case root_kind::task_id:
    return {nullptr, ctx.task_id.empty() ? nullptr : &ctx.task_id};
  case root_kind::step: {
    if (!ctx.steps || !ctx.steps->is_object())
      return {};
    auto st = ctx.steps->find(ph.step);
    if (st == ctx.steps->end() || !st->is_object())
      return {};
    auto output = st->find("output");
    if (output == st->end())
      return {};
    return {descend(&*output, ph.path), nullptr};
  }
  }
  return {};
}

caf::error no_value(const placeholder& ph, const std::string& field) {
  return invalid(ph.text + " has no value", field);
}

std::string dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Appends the text of `str` rendered against `ctx` to `out`.
caf::error append_text(const compiled_string& str, const template_context& ctx,
                       const std::string& field, std::string& out) {
  for (const auto& p : str.parts) {
    if (!p.ref) {
      out += p.literal;
      continue;
    }
    auto v = resolve(*p.ref, ctx);
    if (!v)
      return no_value(*p.ref, field);
    if (v.text)
      out += *v.text;
    else if (v.value->is_string())
      out += v.value->get_ref<const std::string&>();
    else
      out += dump(*v.value);
  }
  return {};
}

} // namespace

struct json_template::impl {
  /// The source with escapes resolved and templated strings nulled.
  json base;
  std::vector<hole> holes;
  /// For a source that is a string: its parts (render_text, compile_text).
  std::optional<compiled_string> root_text;
  std::string field;
};

namespace {

/// Compiles the strings of `node` (a copy of the source, rewritten in
/// place: escapes resolved, templated strings nulled).
caf::error walk(json& node, const template_scope& scope,
                std::vector<location_step>& where, std::string& pointer,
                const std::string& prefix, json_template::impl& out) {
  if (node.is_string()) {
    auto field = prefix + pointer;
    auto str = scan(node.get_ref<const std::string&>(), &scope, field);
    if (!str)
      return std::move(str.error());
    if (where.empty())
      out.root_text = *str;
    if (str->has_refs()) {
      node = nullptr;
      out.holes.push_back({where, std::move(*str), std::move(field)});
    } else {
      node = str->literal_text();
    }
    return {};
  }
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto saved = pointer.size();
      pointer = runtime::json_pointer_append(pointer, it.key());
      where.push_back({it.key(), 0, false});
      auto err = walk(it.value(), scope, where, pointer, prefix, out);
      where.pop_back();
      pointer.resize(saved);
      if (err)
        return err;
    }
    return {};
  }
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      auto saved = pointer.size();
      pointer += '/';
      pointer += std::to_string(i);
      where.push_back({{}, i, true});
      auto err = walk(node[i], scope, where, pointer, prefix, out);
      where.pop_back();
      pointer.resize(saved);
      if (err)
        return err;
    }
  }
  return {};
}

} // namespace

caf::expected<json_template> json_template::compile(const nlohmann::json& value,
                                                    const template_scope& scope,
                                                    std::string field) {
  auto compiled = std::make_shared<impl>();
  compiled->base = value;
  compiled->field = field;
  std::vector<location_step> where;
  std::string pointer;
  if (auto err = walk(compiled->base, scope, where, pointer, field, *compiled))
    return err;
  json_template out;
  out.source_ = value;
  out.constant_ = compiled->holes.empty();
  out.impl_ = std::move(compiled);
  return out;
}

caf::expected<json_template>
json_template::compile_text(std::string_view text, const template_scope& scope,
                            std::string field) {
  auto str = scan(text, &scope, field);
  if (!str)
    return std::move(str.error());
  auto compiled = std::make_shared<impl>();
  compiled->field = field;
  json_template out;
  out.source_ = std::string{text};
  out.text_ = true;
  out.constant_ = !str->has_refs();
  if (out.constant_) {
    compiled->base = json::parse(str->literal_text(), nullptr, false);
    if (compiled->base.is_discarded())
      return invalid("the template is not JSON text", field);
  }
  compiled->root_text = std::move(*str);
  out.impl_ = std::move(compiled);
  return out;
}

caf::expected<nlohmann::json>
json_template::render(const template_context& ctx) const {
  if (!impl_)
    return source_;
  if (constant_)
    return impl_->base;
  if (text_) {
    std::string text;
    if (auto err = append_text(*impl_->root_text, ctx, impl_->field, text))
      return err;
    auto out = json::parse(text, nullptr, false);
    if (out.is_discarded())
      return invalid("the template rendered to text that is not JSON",
                     impl_->field);
    return out;
  }
  json out = impl_->base;
  for (const auto& h : impl_->holes) {
    json* target = &out;
    for (const auto& st : h.where)
      target = st.is_index ? &(*target)[st.index] : &(*target)[st.key];
    if (h.str.whole()) {
      const auto& ph = *h.str.parts[0].ref;
      auto v = resolve(ph, ctx);
      if (!v)
        return no_value(ph, h.field);
      if (v.value)
        *target = *v.value;
      else
        *target = *v.text;
      continue;
    }
    std::string text;
    if (auto err = append_text(h.str, ctx, h.field, text))
      return err;
    *target = std::move(text);
  }
  return out;
}

caf::expected<std::string>
json_template::render_text(const template_context& ctx) const {
  if (impl_ && impl_->root_text) {
    std::string out;
    if (auto err = append_text(*impl_->root_text, ctx, impl_->field, out))
      return err;
    return out;
  }
  if (source_.is_string())
    return source_.get<std::string>();
  auto value = render(ctx);
  if (!value)
    return std::move(value.error());
  return dump(*value);
}

bool json_template::is_constant() const noexcept {
  return constant_;
}

caf::expected<std::string> render_text(std::string_view text,
                                       const template_context& ctx) {
  static const std::string no_field;
  auto str = scan(text, nullptr, no_field);
  if (!str)
    return std::move(str.error());
  std::string out;
  if (auto err = append_text(*str, ctx, no_field, out))
    return err;
  return out;
}

} // namespace herald::flow
