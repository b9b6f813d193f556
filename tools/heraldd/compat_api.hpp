#pragma once

// Seed 004's HTTP endpoints (EscapeKit's event service, DESIGN §3), answered
// in 004's own shapes so its clients keep working:
//
//   GET  /api/v1/events/query/                                   every event
//   GET  /api/v1/events/query/inventory/{project}/{application}/{version}/
//   GET  /api/v1/events/query/project/{project}/{environment}/{deployment}
//   POST /internal/create-event
//
// Each level of a query path is optional and a trailing '/' is too. Queries
// answer a bare JSON array of 004 Event objects (runtime/seed004_codec.hpp)
// and the next cursor in an `X-Next-Cursor` header (absent at the end);
// they take `limit`, `after`, `order` as GET /api/v1/events does.
// Thread-safe: handle() runs concurrently on the io threads; replies come
// back from CAF threads through the reply callback.

#include <string_view>

#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "runtime/event_codec.hpp"
#include "tools/heraldd/daemon_config.hpp"
#include "tools/http/http_server.hpp"

namespace herald::heraldd {

// Until these files move to tools/api (issue 9).
using namespace herald::http;

class compat_api {
public:
  using reply_fn = http_router::reply_fn;

  compat_api(caf::actor_system& sys, actors::node_handles handles,
             const daemon_config& cfg);

  /// Is `path` (still percent-encoded, one trailing '/' removed) one of
  /// 004's endpoints?
  static bool owns(std::string_view path) noexcept;

  /// Answers a request for a path owns() accepted, calling `reply` exactly
  /// once. `draining` refuses create-event with 503 `unavailable`. Errors
  /// are DESIGN §7's error bodies: a path level that is not a scope segment
  /// is 400 `invalid_scope` with field = the level's name (`project`,
  /// `application`, ...); unknown parameters 400 `invalid_parameter`.
  /// Reads need the reader role and return only what `who` may see;
  /// create-event needs publisher (403 `forbidden` otherwise).
  void handle(const http_request& req, std::string_view path,
              const query_string& q, bool draining,
              const runtime::identity& who, reply_fn& reply);

private:
  void query(std::string_view path, const query_string& q, unsigned version,
             bool keep_alive, const runtime::identity& who, reply_fn& reply);
  void create_event(const http_request& req, const query_string& q,
                    bool draining, const runtime::identity& who,
                    reply_fn& reply);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  runtime::publish_limits limits_;
};

} // namespace herald::heraldd
