#pragma once

// Closed-loop durable publishing over HTTP, shared by ingest-http and
// triggers-publish: `connections` keep-alive connections POST pre-built
// batch bodies to /api/v1/events, each waiting for the durable reply
// before its next request (so `connections` requests are in flight).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace herald::bench {

struct http_batch_publish {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;      ///< bearer credential
  uint64_t batches = 0;   ///< requests in all
  size_t batch = 1000;    ///< events per body (for the event count)
  size_t connections = 4; ///< concurrent keep-alive connections
};

/// Sends `p.batches` POSTs, request b carrying bodies[b % bodies.size()].
/// Returns {"events","seconds","events_per_s","request_latency":{…}}, or
/// {"error": "HTTP <status> …"} at the first failed request (the others
/// stop at their next request).
nlohmann::json publish_batches(const http_batch_publish& p,
                               const std::vector<std::string>& bodies);

} // namespace herald::bench
