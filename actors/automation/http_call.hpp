#pragma once

// One outbound HTTP request of an `http` workflow step (DESIGN §5), with
// libcurl: TLS verified, connect and total timeouts, no redirects, the
// response body read up to a cap. Blocking: run it off the actor threads
// (task_actor spawns a detached one-shot actor per call).

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace herald::automation {

struct http_call {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body; ///< sent when non-empty (or for POST/PUT/PATCH)
  bool has_body = false;
  std::chrono::milliseconds timeout{30000};
  /// Most response bytes kept (the rest is read and dropped).
  size_t max_response_bytes = 64 * 1024;
};

struct http_outcome {
  bool ok = false;   ///< a 2xx answer
  long status = 0;   ///< 0 when no answer came
  std::string body;  ///< up to max_response_bytes
  std::string error; ///< why not ok ("timed out", "HTTP 503", …)
};

/// Performs `call` (blocking, at most call.timeout, or until
/// abort_http_calls()).
http_outcome perform_http(const http_call& call);

/// Makes every call in progress and every later one end at once ("node
/// stopping"): a node that stops does not wait for slow receivers (the
/// runs they belong to end failed after the restart, as an http step cut
/// by a restart does).
void abort_http_calls() noexcept;

} // namespace herald::automation
