#pragma once

// What the API's resources share: their settings, the node's lifecycle
// flags, who a request comes from and the route table they register in.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

#include "runtime/event_codec.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/http/route_table.hpp"

namespace herald::http {
class static_files;
} // namespace herald::http

namespace herald::api {

/// The API's limits and stream settings (DESIGN §7 defaults; heraldd sets
/// them from its flags).
struct api_options {
  /// Events per publish request and bytes per event.
  size_t max_batch = 10000;
  size_t max_event_bytes = 1024 * 1024;
  /// A stream's bounded buffer: events and bytes.
  size_t stream_buffer_events = 10000;
  size_t stream_buffer_bytes = 8u << 20;
  /// A WebSocket stream whose client answers no ping for this long is
  /// dropped.
  std::chrono::seconds stream_idle_timeout{300};
  /// Streams one caller (user or token) may have open.
  size_t max_streams_per_caller = 64;
  /// The web console's files (null: not installed; console_api.hpp).
  std::shared_ptr<const http::static_files> console_files;

  runtime::publish_limits publish_limits() const {
    runtime::publish_limits limits;
    limits.max_batch = max_batch;
    limits.max_event_bytes = max_event_bytes;
    return limits;
  }
};

/// The node's lifecycle as the API shows it. Thread-safe.
struct node_state {
  /// /readyz answers 200 only while set.
  std::atomic<bool> ready{false};
  /// Set at shutdown: new publishes and streams are refused (503).
  std::atomic<bool> draining{false};
};

/// Who a request comes from: the identity behind its credential and when
/// that credential expires (auth_service::resolve).
using caller = auth_service::credential;

/// The route table every resource registers its routes in.
using routes = http::route_table<caller>;

} // namespace herald::api
