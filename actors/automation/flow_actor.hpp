#pragma once

// The flow actor: one per node, the owner of workflows, triggers and runs
// (DESIGN §5). It holds the compiled workflow plans and trigger
// definitions, spawns one trigger_actor per enabled schedule trigger and
// one task_actor per run, matches events against the event triggers, and
// applies 003's failure rules.
//
//   definitions ──load/apply──▶ flow actor ──spawn──▶ trigger actors ─┐
//   registry ──deliver (all events)──▶ │ event triggers, by priority   │
//                                      ▼                                │
//   API run / trigger fire ──▶ fire pipeline ◀──(fire_atom)────────────┘
//     workflow? ─▶ valid? ─▶ input renders? ─▶ input_schema? ─▶ overlap
//          └─ any failure: trigger.<kind>.failed, then (003's rules)
//             the trigger is disabled with trigger.<kind>.disabled
//                                      ▼
//                                task actors ──(ended_atom)──▶ here
//
// Where state lives: a workflow is the definition "workflow/<id>" (or a
// file <id>.json in the workflows dir, read and validated when run, or
// the built-in collect_and_cleanup); a trigger is "trigger/<id>" (its
// `enabled` included); a trigger's failures and disabled_reason are
// "trigger-state/<id>", written with the failed/disabled events; a
// schedule trigger's fires are the coordinator's progress "trigger/<id>"
// (trigger_actor.hpp); a task is "task/<id>" (task_actor.hpp). On start
// it loads all of them, resumes the tasks that were running, starts the
// triggers and emits trigger.schedule.sync and trigger.event.sync.
//
// Loop protection (003): an event trigger ignores events whose origin names
// itself or a run of its own target workflow.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/automation/listener_hub.hpp"
#include "actors/cluster/coordinator_actor.hpp"
#include "actors/protocol/interfaces.hpp"
#include "actors/registry_actor.hpp"
#include "actors/writer_actor.hpp"
#include "runtime/metrics.hpp"

namespace herald::automation {

/// Counters of the flow actor, readable from any thread (/metrics).
struct flow_metrics {
  std::atomic<int64_t> tasks_running{0};
  std::atomic<uint64_t> tasks_succeeded{0};
  std::atomic<uint64_t> tasks_failed{0};
  std::atomic<uint64_t> tasks_cancelled{0};
  std::atomic<uint64_t> fires{0};         ///< trigger fires that started a run
  std::atomic<uint64_t> fire_failures{0}; ///< 003's trigger.*.failed
  std::atomic<uint64_t> triggers_disabled{0};
  std::atomic<uint64_t> schedule_triggers{0}; ///< enabled
  std::atomic<uint64_t> event_triggers{0};    ///< enabled
  /// Seconds between a schedule instant and its fire.
  runtime::metric_histogram fire_lateness_seconds{
      runtime::latency_buckets_seconds()};
};

struct flow_deps {
  actors::writer_actor writer;
  actors::registry_actor registry;
  protocol::definitions_actor definitions;
  cluster::coordinator_actor coordinator;
  listener_hub_actor hub;
};

struct flow_options {
  /// One JSON file per workflow (id = file name without .json); empty: none.
  std::filesystem::path workflows_dir;
  /// Ended tasks whose records are kept (the oldest are deleted beyond
  /// it), so task records stay bounded by configuration.
  size_t max_ended_tasks = 10000;
  std::shared_ptr<flow_metrics> metrics; ///< created when null
  std::function<int64_t()> clock;        ///< Unix ns; now by default
};

/// Messages of the flow actor. Errors are runtime::errc values with a
/// field, ready for an API error body.
///
/// - `(list_atom) -> std::string`
///   Every workflow (definitions, files, built-in) as a JSON array of
///   {"id","name","origin":"api|file|builtin","version"?,"valid","error"?}.
///   Answered once the start-up load is done (the daemon waits on it).
///
/// - `(start_atom) -> bool`
///   The second half of start-up, after server.ready is stored: creates
///   the built-in trigger on the first start, resumes the tasks that were
///   running, starts the triggers and stores trigger.schedule.sync and
///   trigger.event.sync; answers once they are stored. Runs and fires are
///   refused (unavailable) before. Start-up writes nothing before it, so a
///   node's first event is server.ready.
///
/// - `(get_atom, std::string workflow_id) -> std::string`
///   {"id","name","origin","version"?,"definition":{…}} (a file that does
///   not validate: "valid":false and "error"). Errors: not_found "id".
///
/// - `(apply_atom, std::string key, bool exists, std::string value,
///    uint64_t version) -> bool`
///   A committed change of definition "workflow/<id>" or "trigger/<id>"
///   (`exists` false: deleted). Tables, trigger actors and the event index
///   follow before the answer.
///
/// - `(run_atom, std::string workflow_id, std::string input_json)
///      -> std::string task_id`
///   Runs a workflow by hand. Errors: not_found "id" (no such workflow),
///   invalid_field "id" (a file that does not validate), invalid_field
///   "/" or deeper (input fails input_schema: "flow rejected input data:
///   …"), conflict (overlap skip and a run is in progress).
///
/// - `(fire_atom, std::string trigger_id) -> std::string task_id`
///   Fires a trigger by hand now (schedule: fire_time = now; event: no
///   event). Errors: not_found "id"; 003's causes as invalid_field with
///   the cause's text (and the failed/disabled events are emitted).
///
/// - `(fire_atom, std::string trigger_id, int64_t fire_ns,
///    protocol::event_ptrs event, std::string task_id) -> std::string`
///   (`event`: the wait_for_event's event, or empty)
///   From a schedule trigger actor after it committed a fire: runs it
///   with that task id unless the task exists already.
///
/// - `(cancel_atom, std::string task_id) -> bool`
///   Cancels a running task; false when it is not running here.
///
/// - `(state_atom, std::string trigger_id) -> std::string`
///   {"enabled","last_fire"?,"next_fire"?,"failures","fires",
///    "disabled_reason"?} (times RFC 3339 UTC). Errors: not_found "id".
///
/// - `(ended_atom, task_id, workflow_id, state)`: from task actors.
/// - `(view_atom, membership)`: from the coordinator; a trigger runs on the
///   node that owns "trigger/<id>" (in-process: this one).
/// - `(deliver_atom, event_ptrs)`: every stored event (event triggers).
using flow_actor = caf::typed_actor<
    caf::replies_to<list_atom>::with<std::string>,
    caf::replies_to<start_atom>::with<bool>,
    caf::replies_to<get_atom, std::string>::with<std::string>,
    caf::replies_to<apply_atom, std::string, bool, std::string,
                    uint64_t>::with<bool>,
    caf::replies_to<run_atom, std::string, std::string>::with<std::string>,
    caf::replies_to<fire_atom, std::string>::with<std::string>,
    caf::replies_to<fire_atom, std::string, int64_t, protocol::event_ptrs,
                    std::string>::with<std::string>,
    caf::replies_to<cancel_atom, std::string>::with<bool>,
    caf::replies_to<state_atom, std::string>::with<std::string>,
    caf::reacts_to<ended_atom, std::string, std::string, std::string>,
    caf::reacts_to<actors::deliver_atom, protocol::event_ptrs>,
    caf::reacts_to<cluster::view_atom, cluster::membership>>;

/// Spawns the flow actor (cooperative scheduler; it never blocks: file
/// reads of the workflows dir are small). It loads its state
/// asynchronously; `(list_atom)` answers when that is done.
flow_actor spawn_flow(caf::actor_system& sys, flow_deps deps,
                      flow_options opts);

} // namespace herald::automation
