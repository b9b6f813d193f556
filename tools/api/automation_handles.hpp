#pragma once

// The node's automation actors the API talks to (DESIGN §4, §5), set on
// node_api by the daemon once they run (node_api::set_automation).

#include "actors/automation/flow_actor.hpp"
#include "actors/automation/listener_hub.hpp"

namespace herald::api {

struct automation_handles {
  /// Workflows, triggers and runs (`/api/v1/workflows`, `/tasks`,
  /// `/triggers`).
  automation::flow_actor flow;
  /// Listener connections and their actions (`/api/v1/listeners`).
  automation::listener_hub_actor listeners;
};

} // namespace herald::api
