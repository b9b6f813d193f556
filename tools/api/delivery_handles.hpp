#pragma once

// The node's delivery actor the API talks to (DESIGN §4), set on node_api
// by the daemon once it runs (node_api::set_delivery).

#include <string>

#include "actors/delivery/delivery_actor.hpp"

namespace herald::api {

struct delivery_handles {
  /// Topics and subscriptions at run time (`/api/v1/subscriptions/…`).
  delivery::delivery_actor delivery;
  /// This node's id: a new subscription's start_node.
  std::string node_id;
  /// A cluster with etcd: pause and resume are cluster-wide (the
  /// definition "subscription-state/<id>", which every node applies to its
  /// part of the deliveries).
  bool cluster = false;
};

} // namespace herald::api
