#pragma once

// Shared by the fuzz targets and tests/heraldd/error_body_test.cpp: every
// error a parser returns must serialise the way the HTTP layer serialises
// it (runtime::describe, then api_error::to_json, as error_response does)
// into valid UTF-8 JSON of DESIGN §7's shape. Header-only, runtime only.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"

namespace herald::fuzz {

/// Empty when `body` is `{"error":{"code":<string>,"message":<string>,...}}`
/// in valid UTF-8 (nlohmann's parser rejects anything else), else why not.
inline std::string error_body_problem(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return "not valid UTF-8 JSON";
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object())
    return "no error object";
  const auto& e = j["error"];
  if (!e.contains("code") || !e["code"].is_string() || !e.contains("message") ||
      !e["message"].is_string())
    return "error without code or message";
  if (e.contains("field") && !e["field"].is_string())
    return "field is not a string";
  return {};
}

/// Empty when `err` serialises as above, else why not (an exception
/// included).
inline std::string error_problem(const caf::error& err) {
  if (!err)
    return {};
  try {
    return error_body_problem(runtime::describe(err).to_json());
  } catch (const std::exception& e) {
    return std::string{"serialisation threw: "} + e.what();
  }
}

/// Aborts (a finding) when `err` does not serialise; `where` names the
/// parser.
inline void check_error_body(const caf::error& err, const char* where) {
  auto problem = error_problem(err);
  if (problem.empty())
    return;
  std::fprintf(stderr, "%s: error body: %s\n", where, problem.c_str());
  std::abort();
}

} // namespace herald::fuzz
