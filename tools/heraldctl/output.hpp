#pragma once

// heraldctl's output and exit codes (docs/API.md "heraldctl"): aligned
// tables by default, the node's JSON with --json, errors on stderr that say
// what to fix.

#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "tools/client/http_admin.hpp"

namespace herald::heraldctl {

/// Exit codes, stable for scripts.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,   ///< the node failed or could not be reached
  exit_usage = 2,     ///< bad flags or arguments, or a request the node
                      ///< rejected as invalid (400)
  exit_not_found = 3, ///< unknown, unauthorized or forbidden
};

/// A column: the JSON field and its header.
using column = std::pair<std::string, std::string>;

/// Prints `rows` (an array of objects) as an aligned table; missing fields
/// print as "-", non-strings as compact JSON.
void print_table(const nlohmann::json& rows, const std::vector<column>& cols);

/// Prints an object's top-level fields as a FIELD VALUE table.
void print_fields(const nlohmann::json& obj);

/// Prints `err` (a caf::error from the client library) with a hint and
/// returns its exit code.
int report(const caf::error& err);

/// Prints an HTTP error reply (`{"error":{…}}`) with a hint and returns its
/// exit code.
int report(const client::http_reply& reply);

/// Prints a usage error and returns exit_usage.
int usage(const std::string& message);

} // namespace herald::heraldctl
