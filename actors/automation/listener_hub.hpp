#pragma once

// The listener hub (DESIGN §4, §5; seed 000's message bus listeners): one
// per node. Knows every connected listener (id, the actions it handles),
// sends perform_action steps to them, collects their answers, and emits
// message-listener-connected / -disconnected and progress events.
//
//   listener session ──connect──▶ hub ◀──perform── task actor
//        ▲  frames (action, action_abort)  │ replies when every listener
//        └─────────────────────────────────┘ the action went to answered
//
// Rules it keeps:
// - One connection per listener id: a second connect with an id that is
//   connected is refused (runtime::errc::conflict) until the first is gone.
// - An action goes to every listener connected at that moment that handles
//   it; the step completes when each has answered action_done (ok) or
//   action_error (the step fails, naming the listener and its error), or at
//   the step's timeout (failing, naming who did not answer). With no such
//   listener it completes at once (ok, no listeners). An action_error does
//   not end the step early: the others still answer (or time out), and the
//   outcome names every listener that failed.
// - A listener that disconnects does not fail the action: if it reconnects
//   with the same id before the timeout it gets the actions still waiting
//   for it again, with their data.
// - abort (a cancelled task): every connected listener with an action of
//   that task still out gets {"kind":"action_abort","task_id","step",
//   "action"}; the waiting request is answered ok=false "cancelled".
// - A late or unknown action_done / action_error (step already finished,
//   other task) is ignored.
// - Memory: pending actions are bounded by the running tasks' steps;
//   frames to a listener go through its session's bounded buffer (a
//   listener that does not read is closed as a slow consumer by the
//   session, which disconnects it here).
// - Stopping (an exit message): waiting actions end ok=false "listener hub
//   stopped" as an unavailable error (not an
//   outcome: the step did not fail), connected listeners get
//   message-listener-disconnected (reason "shutdown") and their sinks a close;
//   the hub quits once the writer has answered every write of its events, these
//   and earlier ones (stop_listener_hub waits for that).
//
// The bookkeeping is a plain class, listener_table (listener_table.hpp);
// frames are encoded by listener_codec.hpp.
//
// Frames (one JSON object per text frame):
//   hub → listener:
//     {"kind":"action","action":"collect","task_id":…,"step":…,"data":{…}}
//     {"kind":"action_abort","action":…,"task_id":…,"step":…}
//   listener → hub:
//     {"kind":"action_done"|"action_error"|"progress","task_id":…,
//      "step":…,"error":…,"percent":…,"message":…}
// The session parses listener frames and sends the typed messages below.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/automation/type_ids.hpp"
#include "actors/writer_actor.hpp"

namespace herald::automation {

// listener_sink_actor (the session side of one connection) is in
// type_ids.hpp.

/// Messages of the hub.
///
/// - `(connect_atom, std::string id, std::vector<std::string> handles,
///    std::string ip, listener_sink_actor sink) -> bool`
///   Registers listener `id` (the sink is monitored: its termination is a
///   disconnect with reason "connection closed"), emits
///   message-listener-connected (`listener_id`, `handles` sorted without
///   duplicates, `ip`), then
///   sends it the actions still waiting for `id`; answers true. Errors:
///   conflict (field "listener_id") when `id` is connected; unavailable
///   once the hub is stopping.
///
/// - `(disconnect_atom, std::string id, std::string reason) -> void`
///   Listener `id`'s connection ended (ignored unless `id` is connected);
///   emits message-listener-disconnected (`listener_id`, `reason`). The
///   session sends it before it stops its sink, so its reason wins over
///   the sink's down message.
///
/// - `(done_atom, std::string id, std::string task_id, std::string step,
///    bool ok, std::string error) -> void`
///   Listener `id` answered action_done (ok) or action_error.
///
/// - `(progress_atom, std::string id, std::string task_id, std::string
///    step, double percent, std::string message) -> void`
///   Emits a `progress` event (`task_id`, `step`, `listener_id`, `percent`,
///   `message`) if that action is out to `id` and `id` has not answered it
///   yet (else ignored). A negative `percent` means the listener gave none:
///   the event then has no `percent`; an empty `message` is omitted too.
///
/// - `(perform_atom, action_request req) -> action_outcome`
///   From a task actor: emits nothing itself (the task actor emits the
///   action's event before asking), sends the action, answers once it is
///   complete as described above. `timeout_ms <= 0` waits without a
///   timeout (until answered or aborted). Errors: invalid_field when
///   `data_json` is not a JSON object, conflict when (task_id, step) is
///   already waiting, unavailable once the hub is stopping.
///
/// - `(abort_atom, std::string task_id) -> void`
///   The task was cancelled: see the rules above.
///
/// - `(listeners_atom) -> std::vector<listener_info>`
///   The connected listeners, by id.
using listener_hub_actor = caf::typed_actor<
    caf::replies_to<connect_atom, std::string, std::vector<std::string>,
                    std::string, listener_sink_actor>::with<bool>,
    caf::reacts_to<disconnect_atom, std::string, std::string>,
    caf::reacts_to<done_atom, std::string, std::string, std::string, bool,
                   std::string>,
    caf::reacts_to<progress_atom, std::string, std::string, std::string, double,
                   std::string>,
    caf::replies_to<perform_atom, action_request>::with<action_outcome>,
    caf::reacts_to<abort_atom, std::string>,
    caf::replies_to<listeners_atom>::with<std::vector<listener_info>>>;

/// Spawns the hub (cooperative scheduler; it never blocks). Its events go
/// through `writer`. Stop it with an exit message (or stop_listener_hub).
/// Figures of a hub, readable from any thread (/metrics).
struct listener_hub_metrics {
  std::atomic<int64_t> connected{0};   ///< listeners connected now
  std::atomic<int64_t> actions_out{0}; ///< actions waiting for answers
};

listener_hub_actor
spawn_listener_hub(caf::actor_system& sys, actors::writer_actor writer,
                   std::shared_ptr<listener_hub_metrics> metrics = nullptr);

/// Sends the hub an exit message and waits, at most `timeout`, until it has
/// quit (after its last events are stored, see the rules above); the writer
/// must still run. Returns whether it quit in time. Blocks the calling
/// thread: never call it from an actor or on the test scheduler.
bool stop_listener_hub(caf::actor_system& sys, const listener_hub_actor& hub,
                       std::chrono::milliseconds timeout);

} // namespace herald::automation
