#pragma once

// The node itself (DESIGN §6, §7): `GET /healthz` (the process answers) and
// `GET /readyz` (storage recovered, HTTP serving, server.ready stored: 200
// only while node_state::ready is set, else 503 `unavailable`). Both are
// public and take HEAD too. `GET /api/v1/nodes` (reader): the cluster's
// nodes as the node tracker (actors/node_tracker_actor.hpp) knows them.
// Thread-safe.

#include <caf/fwd.hpp>

#include "actors/node_tracker_actor.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class nodes_api {
public:
  /// `state` and `tracker` (set by the daemon before serving; null: 503)
  /// outlive this.
  nodes_api(caf::actor_system& sys, const node_state& state,
            const actors::node_tracker_actor& tracker)
      : sys_(sys), state_(state), tracker_(tracker) {}

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

private:
  caf::actor_system& sys_;
  const node_state& state_;
  const actors::node_tracker_actor& tracker_;
};

} // namespace herald::api
