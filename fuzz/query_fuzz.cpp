// Fuzz target for the request-target parsers of the node's read endpoints
// (tools/api/query_params.hpp, tools/http/http_util.hpp,
// runtime/query_cursor.hpp).
//
// Input: an HTTP request target (`/api/v1/events?name=iam.*&limit=10`), fed
// through the router's steps: parse_target, the trailing-'/' trim, then
//  - parse_event_query, parse_stream_spec and parse_scope_level_request on
//    the query (every target);
//  - decode_cursor on `after` (both directions) as the reader does;
//  - for a 004 path (compat004_api::owns) the path → scope steps
//    compat004_api performs (its parse_query_path is private: the same split is
//    redone here over the public pieces percent_decode, is_valid_scope_segment
//    and seed004_scope);
//  - for /api/v1/events/{id} the id decode and check.
// Properties checked:
//  - nothing crashes, and no parser fails with errc::internal;
//  - every parameter parse_target returns has a non-empty name, and the
//    parameters re-encoded into a query string parse back to themselves;
//  - an accepted cursor re-encodes to exactly the text it came from, and is
//    refused in the other direction;
//  - an accepted query/stream spec has its documented bounds (limit
//    1..max_query_limit, from_seq >= 1, queue excluding from_seq/since, a
//    scope that is_valid_scope); an accepted scope-tree request has a valid
//    parent without trailing '/' and an `after` one segment below it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/query_cursor.hpp"
#include "runtime/scope_path.hpp"
#include "runtime/seed004_codec.hpp"
#include "runtime/subject.hpp"
#include "runtime/text_util.hpp"
#include "tools/api/compat004_api.hpp"
#include "tools/api/query_params.hpp"
#include "tools/http/http_util.hpp"

namespace {

namespace hd = herald::api;
namespace hh = herald::http;
namespace rt = herald::runtime;

std::string_view current_input;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "query_fuzz: %s\n%s\ninput: %.*s\n", what,
               detail.c_str(), static_cast<int>(current_input.size()),
               current_input.data());
  std::abort();
}

void check_error(const caf::error& err, const char* where) {
  herald::fuzz::check_error_body(err, where);
  if (!err)
    fail("an error without a code", where);
  auto e = rt::describe(err);
  if (e.code == rt::errc::internal)
    fail("internal error", std::string{where} + ": " + e.to_json());
}

/// Percent-encodes everything but unreserved characters.
std::string encode(std::string_view in) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void check_cursor(std::string_view text, bool descending) {
  auto c = herald::runtime::decode_cursor(text, descending);
  if (!c) {
    check_error(c.error(), "decode_cursor");
    return;
  }
  if (c->descending != descending)
    fail("cursor of the other direction accepted", std::string{text});
  if (herald::runtime::encode_cursor(*c) != text)
    fail("cursor does not re-encode to its text", std::string{text});
  if (herald::runtime::decode_cursor(text, !descending))
    fail("cursor accepted in both directions", std::string{text});
}

constexpr std::string_view query004_path = "/api/v1/events/query";

/// compat004_api's path → scope steps for a path compat004_api::owns().
void check_query004_path(std::string_view path) {
  if (path.size() <= query004_path.size())
    return; // the whole store
  std::string_view rest = path.substr(query004_path.size() + 1);
  const auto slash = rest.find('/');
  const auto root = rest.substr(0, slash);
  if (root != "inventory" && root != "project")
    return; // 404
  std::vector<std::string> levels;
  bool more = slash != std::string_view::npos;
  rest = more ? rest.substr(slash + 1) : std::string_view{};
  while (more) {
    if (levels.size() == 3)
      return; // 404
    const auto end = rest.find('/');
    auto level = rt::percent_decode(rest.substr(0, end), false);
    if (!level || !rt::is_valid_scope_segment(*level))
      return; // invalid_scope
    levels.push_back(std::move(*level));
    more = end != std::string_view::npos;
    if (more)
      rest = rest.substr(end + 1);
  }
  const auto scope = rt::seed004_scope(root, levels);
  // Valid segments joined by '/' are a valid scope up to its length cap.
  if (scope.size() <= 1024 && !rt::is_valid_scope(scope))
    fail("004 path gives an invalid scope", scope);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target{reinterpret_cast<const char*>(data), size};
  current_input = target;
  std::string path;
  hh::query_string q;
  if (auto err = hh::parse_target(target, path, q)) {
    check_error(err, "parse_target");
    return 0;
  }
  if (path != target.substr(0, target.find('?')))
    fail("path is not the target up to '?'", path);

  // The parameters, re-encoded, parse back to themselves.
  std::string again = path + "?";
  for (const auto& [key, value] : q.params) {
    if (key.empty())
      fail("empty parameter name accepted", "");
    again += encode(key) + "=" + encode(value) + "&";
  }
  {
    std::string path2;
    hh::query_string q2;
    if (auto err = hh::parse_target(again, path2, q2))
      fail("re-encoded query refused",
           again + "\n" + rt::describe(err).to_json());
    if (path2 != path || q2.params != q.params)
      fail("re-encoded query parses to other parameters", again);
  }

  if (path.size() > 1 && path.back() == '/')
    path.pop_back(); // as the router does

  if (auto req = hd::parse_event_query(q); !req) {
    check_error(req.error(), "parse_event_query");
  } else {
    const auto& query = req->query;
    if (query.limit < 1 || query.limit > hd::max_query_limit)
      fail("limit out of range", std::to_string(query.limit));
    if (query.scope && !rt::is_valid_scope(*query.scope))
      fail("invalid scope accepted", *query.scope);
  }

  if (auto spec = hd::parse_stream_spec(q); !spec) {
    check_error(spec.error(), "parse_stream_spec");
  } else {
    if (spec->from_seq && *spec->from_seq == 0)
      fail("from_seq 0 accepted", "");
    if (spec->from_seq && spec->since_ns)
      fail("from_seq and since both accepted", "");
    if (!spec->queue.empty() && (spec->from_seq || spec->since_ns))
      fail("queue with a replay accepted", "");
    if (!spec->queue.empty() && !rt::is_valid_name(spec->queue))
      fail("invalid queue name accepted", spec->queue);
    if (spec->scope && !rt::is_valid_scope(*spec->scope))
      fail("invalid scope accepted", *spec->scope);
  }

  if (auto level = hd::parse_scope_level_request(q); !level) {
    check_error(level.error(), "parse_scope_level_request");
  } else {
    if (!level->parent.empty() &&
        (!rt::is_valid_scope(level->parent) || level->parent.back() == '/'))
      fail("invalid parent accepted", level->parent);
    if (!level->after.empty() &&
        !rt::is_child_scope(level->parent, level->after))
      fail("an after not below parent accepted", level->after);
    if (level->limit < 1 || level->limit > hd::max_scope_limit)
      fail("scope limit out of range", std::to_string(level->limit));
  }

  if (hd::compat004_api::owns(path)) {
    if (auto err = hh::check_known_params(q, {"limit", "after", "order"}))
      check_error(err, "check_known_params");
    check_query004_path(path);
  }

  // GET /api/v1/events/{id}
  constexpr std::string_view events_path = "/api/v1/events/";
  if (path.starts_with(events_path) && path.size() > events_path.size()) {
    auto raw = std::string_view{path}.substr(events_path.size());
    if (raw.find('/') == std::string_view::npos)
      if (auto id = rt::percent_decode(raw, false); id)
        (void)rt::is_valid_id(*id);
  }

  // Any `after` a client may send, whether or not the rest of the query is
  // valid, and the raw input as a cursor.
  if (const auto* after = q.find("after")) {
    check_cursor(*after, false);
    check_cursor(*after, true);
  }
  if (target.size() == 16) {
    check_cursor(target, false);
    check_cursor(target, true);
  }
  return 0;
}
