#include "tools/http/route_matcher.hpp"

#include <algorithm>
#include <stdexcept>

#include "runtime/event_codec_detail.hpp"
#include "runtime/text_util.hpp"

namespace herald::http {

namespace {

/// The segments of a path after its leading '/': "/a/b" → {a, b},
/// "/" → {""}, "/a/" → {a, ""}.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      return out;
    path.remove_prefix(slash + 1);
  }
}

} // namespace

bool path_params::has(std::string_view name) const noexcept {
  return std::any_of(values_.begin(), values_.end(),
                     [name](const auto& v) { return v.first == name; });
}

std::string_view path_params::raw(std::string_view name) const noexcept {
  for (const auto& [key, value] : values_)
    if (key == name)
      return value;
  return {};
}

std::optional<std::string> path_params::get(std::string_view name) const {
  auto text = raw(name);
  if (text.empty())
    return std::nullopt;
  auto decoded = runtime::percent_decode(text, false);
  if (!decoded || decoded->empty() || !runtime::detail::is_valid_utf8(*decoded))
    return std::nullopt;
  return decoded;
}

void path_params::set(std::string name, std::string raw) {
  values_.emplace_back(std::move(name), std::move(raw));
}

std::vector<route_matcher::segment>
route_matcher::parse(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("a route pattern starts with '/': " +
                                std::string{pattern});
  std::vector<segment> out;
  for (auto seg : split(pattern)) {
    if (!out.empty() && out.back().k == kind::rest)
      throw std::invalid_argument("{name...} must come last: " +
                                  std::string{pattern});
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      auto name = seg.substr(1, seg.size() - 2);
      kind k = kind::param;
      if (name.ends_with("...")) {
        name.remove_suffix(3);
        k = kind::rest;
      }
      if (name.empty() || name.find_first_of("{}/.") != std::string_view::npos)
        throw std::invalid_argument("bad parameter name in " +
                                    std::string{pattern});
      out.push_back(segment{k, std::string{name}});
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("a '{' or '}' outside a parameter: " +
                                    std::string{pattern});
      out.push_back(segment{kind::literal, std::string{seg}});
    }
  }
  return out;
}

size_t route_matcher::add(std::string_view pattern, std::vector<verb> methods) {
  auto segments = parse(pattern);
  auto same_shape = [&segments](const pattern_entry& p) {
    if (p.segments.size() != segments.size())
      return false;
    for (size_t i = 0; i < segments.size(); ++i)
      if (p.segments[i].k != segments[i].k ||
          (segments[i].k == kind::literal &&
           p.segments[i].text != segments[i].text))
        return false;
    return true;
  };
  auto it = std::find_if(patterns_.begin(), patterns_.end(), same_shape);
  if (it != patterns_.end() && it->text != pattern)
    throw std::invalid_argument("route pattern " + std::string{pattern} +
                                " has the shape of " + it->text);
  if (it == patterns_.end()) {
    patterns_.push_back(
        pattern_entry{std::string{pattern}, std::move(segments), {}});
    it = std::prev(patterns_.end());
  }
  // No method may be taken twice by one pattern (an "every method" route
  // takes them all).
  for (auto id : it->routes) {
    const auto& other = routes_[id].methods;
    bool overlap = other.empty() || methods.empty();
    for (auto m : methods)
      overlap =
          overlap || std::find(other.begin(), other.end(), m) != other.end();
    if (overlap)
      throw std::invalid_argument("two routes of " + std::string{pattern} +
                                  " take the same method");
  }
  const size_t id = routes_.size();
  routes_.push_back(
      route_entry{static_cast<size_t>(std::distance(patterns_.begin(), it)),
                  std::move(methods)});
  it->routes.push_back(id);
  return id;
}

std::optional<path_params>
route_matcher::match_pattern(const pattern_entry& p,
                             const std::vector<std::string_view>& segs) {
  path_params params;
  for (size_t i = 0; i < p.segments.size(); ++i) {
    const auto& s = p.segments[i];
    if (s.k == kind::rest) {
      if (segs.size() > i) {
        // Everything after the '/' that ends the previous segment.
        std::string rest{segs[i]};
        for (size_t j = i + 1; j < segs.size(); ++j)
          (rest += '/') += segs[j];
        params.set(s.text, std::move(rest));
      }
      return params;
    }
    if (i >= segs.size())
      return std::nullopt;
    if (s.k == kind::literal ? segs[i] != s.text : segs[i].empty())
      return std::nullopt;
    if (s.k == kind::param)
      params.set(s.text, std::string{segs[i]});
  }
  if (segs.size() != p.segments.size())
    return std::nullopt;
  return params;
}

route_matcher::match route_matcher::find(verb method,
                                         std::string_view path) const {
  match best;
  // An origin-form target starts with '/'; `*` and absolute forms name no
  // route.
  if (path.empty() || path.front() != '/')
    return best;
  const auto segs = split(path);
  const pattern_entry* best_pattern = nullptr;
  // A pattern is more specific than another when, at the first segment
  // where their kinds differ, its kind ranks higher.
  auto more_specific = [](const pattern_entry& a, const pattern_entry& b) {
    const size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i)
      if (a.segments[i].k != b.segments[i].k)
        return a.segments[i].k > b.segments[i].k;
    // Both matched the path, so the longer one ends in a rest that matched
    // nothing: the exact one is more specific.
    return a.segments.size() < b.segments.size();
  };
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const auto& p = patterns_[i];
    if (best_pattern && !more_specific(p, *best_pattern))
      continue;
    if (auto params = match_pattern(p, segs)) {
      best.pattern = i;
      best.params = std::move(*params);
      best_pattern = &p;
    }
  }
  if (!best_pattern)
    return best;
  for (auto id : best_pattern->routes) {
    const auto& methods = routes_[id].methods;
    if (methods.empty() ||
        std::find(methods.begin(), methods.end(), method) != methods.end()) {
      best.route = id;
      break;
    }
  }
  return best;
}

} // namespace herald::http
