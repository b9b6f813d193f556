#pragma once

// Path patterns → routes: the pure half of the route table
// (route_table.hpp), with no notion of who asks. A pattern is a path of
// '/'-separated segments, each one of
//
//   literal      `users`         matches exactly that (still percent-encoded)
//   {name}       `{name}`        one non-empty segment, captured as `name`
//   {name...}    `{levels...}`   last only: the rest of the path — nothing,
//                                or '/' and everything after it
//
// A path is matched against every pattern; the most specific match wins
// (compared segment by segment from the left: a literal beats a parameter,
// a parameter beats a rest), then the method picks one of that pattern's
// routes. Thread-safety: add() before serving; find() is const and may run
// on any number of threads at once.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace herald::http {

/// The parameters a matched pattern captured, by name.
class path_params {
public:
  /// Whether `name` was captured (a rest parameter that matched nothing
  /// was not).
  bool has(std::string_view name) const noexcept;

  /// The captured text of `name`, still percent-encoded; empty when it was
  /// not captured.
  std::string_view raw(std::string_view name) const noexcept;

  /// `name` percent-decoded, when it is the well-formed percent-encoding of
  /// a non-empty, valid UTF-8 text; nullopt otherwise. No resource has a
  /// name that fails this: handlers answer such a segment with 404 (or, for
  /// a key a client chooses, 400) at the point their contract says.
  std::optional<std::string> get(std::string_view name) const;

  /// Records a capture (used by route_matcher).
  void set(std::string name, std::string raw);

private:
  std::vector<std::pair<std::string, std::string>> values_;
};

class route_matcher {
public:
  using verb = boost::beast::http::verb;

  /// Adds a route: `pattern` answering `methods` (empty: every method, the
  /// handler then answers 405 itself). Returns the route's id: 0, 1, ... in
  /// the order of adding. Throws std::invalid_argument for a malformed
  /// pattern, for a pattern of the same shape as another one under other
  /// parameter names, and for a method that pattern has already — all
  /// programming errors, found at startup.
  size_t add(std::string_view pattern, std::vector<verb> methods);

  struct match {
    /// The most specific pattern that matches the path, as its index
    /// (see routes_of); nullopt when none does (404).
    std::optional<size_t> pattern;
    /// The route of that pattern taking the method; nullopt when the
    /// pattern matched but takes other methods only (405).
    std::optional<size_t> route;
    path_params params;
  };

  /// Matches a request. `path` is still percent-encoded; one that does not
  /// start with '/' (`*`, an absolute URI) matches nothing.
  match find(verb method, std::string_view path) const;

  /// The routes (ids) of a pattern find() returned.
  const std::vector<size_t>& routes_of(size_t pattern) const {
    return patterns_.at(pattern).routes;
  }

private:
  enum class kind { literal = 2, param = 1, rest = 0 };

  struct segment {
    kind k;
    std::string text; ///< the literal, or the parameter's name
  };

  struct pattern_entry {
    std::string text;
    std::vector<segment> segments;
    std::vector<size_t> routes;
  };

  struct route_entry {
    size_t pattern;
    std::vector<verb> methods;
  };

  static std::vector<segment> parse(std::string_view pattern);
  /// Captures of `p` when it matches `segs`; nullopt otherwise.
  static std::optional<path_params>
  match_pattern(const pattern_entry& p,
                const std::vector<std::string_view>& segs);

  std::vector<pattern_entry> patterns_;
  std::vector<route_entry> routes_;
};

} // namespace herald::http
