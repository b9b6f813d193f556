#pragma once

// The node itself (DESIGN §6, §7): `GET /healthz` (the process answers) and
// `GET /readyz` (storage recovered, HTTP serving, server.ready stored: 200
// only while node_state::ready is set, else 503 `unavailable`). Both are
// public and take HEAD too. Thread-safe.

#include "tools/api/types.hpp"

namespace herald::api {

class nodes_api {
public:
  /// `state` outlives this.
  explicit nodes_api(const node_state& state) : state_(state) {}

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  const node_state& state_;
};

} // namespace herald::api
