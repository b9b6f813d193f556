#pragma once

// The node's delivery actor the API talks to (DESIGN §4), set on node_api
// by the daemon once it runs (node_api::set_delivery).

#include "actors/delivery/delivery_actor.hpp"

namespace herald::api {

struct delivery_handles {
  /// Topics and subscriptions at run time (`/api/v1/subscriptions/…`).
  delivery::delivery_actor delivery;
};

} // namespace herald::api
