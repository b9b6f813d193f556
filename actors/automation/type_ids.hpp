#pragma once

// Message types of herald::automation (node-internal: listeners, runs,
// triggers). The block follows herald_actors. Payloads that are documents
// (workflow inputs, outputs, action data) travel as JSON text, so these
// messages need no inspect() of nlohmann::json.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"

namespace herald::automation {

/// A connected listener as the hub knows it (GET /api/v1/listeners).
struct listener_info {
  std::string id;
  std::vector<std::string> handles;
  std::string ip;
  int64_t connected_ns = 0;
  size_t pending = 0; ///< actions sent and not yet answered
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_info& x) {
  return f(caf::meta::type_name("herald.listener_info"), x.id, x.handles, x.ip,
           x.connected_ns, x.pending);
}

/// One perform_action step, sent to the hub by a task actor.
struct action_request {
  std::string task_id;
  std::string step;
  std::string action;
  std::string data_json = "{}"; ///< the action's data (a JSON object)
  int64_t timeout_ms = 0;       ///< the step's timeout
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, action_request& x) {
  return f(caf::meta::type_name("herald.action_request"), x.task_id, x.step,
           x.action, x.data_json, x.timeout_ms);
}

/// How a perform_action step ended.
struct action_outcome {
  bool ok = true;
  /// Why not: "listener L: <its error>", "timed out waiting for L1, L2",
  /// "cancelled".
  std::string error;
  std::vector<std::string> listeners; ///< those the action was sent to
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, action_outcome& x) {
  return f(caf::meta::type_name("herald.action_outcome"), x.ok, x.error,
           x.listeners);
}

} // namespace herald::automation

CAF_BEGIN_TYPE_ID_BLOCK(herald_automation, caf::id_block::herald_actors::end)

// listeners
CAF_ADD_ATOM(herald_automation, herald::automation, connect_atom, "haconnect")
CAF_ADD_ATOM(herald_automation, herald::automation, disconnect_atom,
             "hadisconn")
CAF_ADD_ATOM(herald_automation, herald::automation, frame_atom, "haframe")
CAF_ADD_ATOM(herald_automation, herald::automation, close_atom, "haclose")
CAF_ADD_ATOM(herald_automation, herald::automation, done_atom, "hadone")
CAF_ADD_ATOM(herald_automation, herald::automation, progress_atom, "haprogress")
CAF_ADD_ATOM(herald_automation, herald::automation, perform_atom, "haperform")
CAF_ADD_ATOM(herald_automation, herald::automation, abort_atom, "haabort")
CAF_ADD_ATOM(herald_automation, herald::automation, listeners_atom, "halisten")
// runs and triggers
CAF_ADD_ATOM(herald_automation, herald::automation, run_atom, "harun")
CAF_ADD_ATOM(herald_automation, herald::automation, cancel_atom, "hacancel")
CAF_ADD_ATOM(herald_automation, herald::automation, fire_atom, "hafire")
CAF_ADD_ATOM(herald_automation, herald::automation, tick_atom, "hatick")
CAF_ADD_ATOM(herald_automation, herald::automation, step_atom, "hastep")
CAF_ADD_ATOM(herald_automation, herald::automation, ended_atom, "haended")
CAF_ADD_ATOM(herald_automation, herald::automation, preview_atom, "hapreview")
CAF_ADD_ATOM(herald_automation, herald::automation, state_atom, "hastate")
CAF_ADD_ATOM(herald_automation, herald::automation, apply_atom, "haapply")
CAF_ADD_ATOM(herald_automation, herald::automation, start_atom, "hastart")

CAF_ADD_TYPE_ID(herald_automation, (herald::automation::listener_info))
CAF_ADD_TYPE_ID(herald_automation,
                (std::vector<herald::automation::listener_info>))
CAF_ADD_TYPE_ID(herald_automation, (herald::automation::action_request))
CAF_ADD_TYPE_ID(herald_automation, (herald::automation::action_outcome))

CAF_END_TYPE_ID_BLOCK(herald_automation)

namespace herald::automation {

// The protocol's atoms this module's interfaces use, unqualified.
using protocol::define_atom;
using protocol::define_atom_v;
using protocol::deliver_atom;
using protocol::deliver_atom_v;
using protocol::get_atom;
using protocol::get_atom_v;
using protocol::list_atom;
using protocol::list_atom_v;

/// The session side of one listener connection.
///
/// - `(frame_atom, std::string text) -> void`: send one text frame.
/// - `(close_atom, std::string reason) -> void`: close the connection
///   (1008 with `reason`), e.g. on hub shutdown.
using listener_sink_actor =
    caf::typed_actor<caf::reacts_to<frame_atom, std::string>,
                     caf::reacts_to<close_atom, std::string>>;

} // namespace herald::automation
