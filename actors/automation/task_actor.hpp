#pragma once

// One task (a run of a workflow, DESIGN §5) as an actor: holds a
// flow::task_machine and does the I/O its steps ask for.
//
//   start ─▶ [sync steps: emit, set_status run back to back] ─▶ persist
//        ─▶ async step (perform_action ▶ hub, wait_for_event ▶ registry,
//           http ▶ detached curl) ─▶ result ─▶ persist ─▶ … ─▶ end
//
// Persistence: the flow actor stores a new record with task_started before
// spawning the actor. The record is the definition "task/<id>", written through
// the writer together with the events of the steps it covers (one atomic,
// durable write): an emitted event and the step that emitted it are stored
// together or not at all. Steps that need no waiting are batched into one
// write; a step that waits is written as running before it starts, so a
// restart knows where the task was (task_machine::resume's rule).
//
// Every event a run emits carries origin {trigger_id, workflow_id,
// task_id} and a traceparent of the run's trace with a new span id per
// step; ids are deterministic (<task_id>.<step>[.<what>]) so a step redone
// after a restart cannot store its event twice.
//
// At the end: task_end (and the trigger's outcome event, 003's
// trigger.<kind>.ok|error, when a trigger started it) with the final
// record; then `(ended_atom, task_id, workflow_id, state)` to the flow
// actor; then the actor quits.

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/automation/listener_hub.hpp"
#include "actors/registry_actor.hpp"
#include "actors/writer_actor.hpp"
#include "runtime/flow/task.hpp"
#include "runtime/flow/workflow.hpp"

namespace herald::automation {

/// Who hears of a task's end (the flow actor's part of its interface).
using task_owner_actor = caf::typed_actor<
    caf::reacts_to<ended_atom, std::string, std::string, std::string>>;

/// What a task actor talks to.
struct task_deps {
  actors::writer_actor writer;
  actors::registry_actor registry;
  listener_hub_actor hub;
  /// Gets `(ended_atom, std::string task_id, std::string workflow_id,
  /// std::string state)` when the task has ended and is persisted.
  task_owner_actor flow;
};

/// Messages of a task actor.
///
/// - `(cancel_atom) -> bool`
///   Cancels the run: a running action is aborted at the listeners, a wait
///   ends; the task ends cancelled. Answers true, or false when it had
///   already ended.
///
/// Internal (the actor's own timers and helpers; part of the type so the
/// actor can receive them):
/// - `(deliver_atom, event_ptrs)`: events for a wait_for_event step.
/// - `(tick_atom, uint64_t generation)`: a step's timeout.
/// - `(step_atom, uint64_t generation, bool ok, std::string output_json,
///    std::string error)`: an http step's result.
using task_actor = caf::typed_actor<
    caf::replies_to<cancel_atom>::with<bool>,
    caf::reacts_to<actors::deliver_atom, protocol::event_ptrs>,
    caf::reacts_to<tick_atom, uint64_t>,
    caf::reacts_to<step_atom, uint64_t, bool, std::string, std::string>>;

/// Spawns the run of `rec`: a new record the flow actor has stored with
/// its task_started event (task_started_event), or one read back after a
/// restart (`resumed` = true).
task_actor spawn_task(caf::actor_system& sys, task_deps deps,
                      std::shared_ptr<const flow::workflow_plan> plan,
                      flow::task_record rec, bool resumed);

/// The task_started event of `rec` (the flow actor stores it with the new
/// record, in the order it starts runs, so runs for one event start in
/// priority order).
v1::Event task_started_event(const flow::task_record& rec, int64_t now_ns);

/// The events of a task's end (task_end and the outcome event), for the
/// actor and for the flow actor ending a task it cannot run.
std::vector<v1::Event> task_end_events(const flow::task_record& rec,
                                       int64_t now_ns);

} // namespace herald::automation
