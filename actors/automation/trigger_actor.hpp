#pragma once

// One schedule trigger (DESIGN §5) as an actor: keeps the trigger's timer,
// commits each fire through the coordinator, then asks the flow actor to
// run it.
//
//   start ─▶ progress("trigger/<id>") ─▶ pending task? ask flow to run it
//         ─▶ missed instants per catch_up ─▶ fire each
//         ─▶ arm timer for next_fire
//   timer(T) ─▶ [wait_for_event: subscribe, wait ≤ timeout]
//            ─▶ commit(state{last_fire=T, next_fire=next(T),
//                            pending_task=fire_task_id(id,T),
//                            pending_node=this node}) ─▶ fire
//            ─▶ run stored ─▶ commit(pending cleared)
//
// Commit first, act after (actors/cluster/coordinator_actor.hpp): a stale
// owner can never fire an instant twice, and the task id of a committed
// fire is deterministic, so a restart of the node that committed it,
// between the commit and the task's start, starts it (flow checks that it
// does not exist yet): a restart neither loses nor repeats a fire. Another
// node that takes the trigger over with a fire still pending does not run
// it: only the committing node's task records tell whether it ran, and an
// owner cut off or killed after running it but before clearing it must
// not have its instant fired twice (DESIGN §6) — so a fire whose owner
// died between the commit and the run's start is lost, never repeated. A
// commit answered `fenced` stops the actor (another node owns the trigger
// now).
//
// The state ("trigger/<id>" progress, flow::trigger_state) is written by
// this actor only.

#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/automation/type_ids.hpp"
#include "actors/cluster/coordinator_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/writer_actor.hpp"
#include "runtime/flow/trigger.hpp"

namespace herald::automation {

/// Who runs a committed fire (the flow actor's part of its interface).
using fire_runner_actor = caf::typed_actor<
    caf::replies_to<fire_atom, std::string, int64_t, protocol::event_ptrs,
                    std::string>::with<std::string>>;

struct trigger_deps {
  cluster::coordinator_actor coordinator;
  actors::registry_actor registry;
  /// Answers `(fire_atom, std::string trigger_id, int64_t fire_ns,
  /// protocol::event_ptrs event, std::string task_id) -> std::string`
  /// (the flow actor).
  fire_runner_actor flow;
  /// For trigger.schedule.error when a wait_for_event times out.
  actors::writer_actor writer;
  /// The clock (Unix ns); tests pass their own.
  std::function<int64_t()> clock;
  /// Called with the lateness of each fire in seconds (metrics); may be
  /// empty.
  std::function<void(double)> on_fire;
  /// The definition changed while the node ran (a PUT, an enable): the
  /// stored next fire belongs to the old schedule, so it is recomputed
  /// from now and nothing is caught up.
  bool reschedule = false;
};

/// Messages of a schedule trigger actor.
///
/// - `(tick_atom, int64_t instant) -> void`
///   Its own timer: instant `instant` is due (re-armed if the clock is
///   early); a negative value is the end of the wait_for_event of instant
///   -instant.
/// - `(deliver_atom, event_ptrs)`: events of a wait_for_event.
/// - `(state_atom) -> std::string`
///   The persisted state as JSON text (flow::trigger_state).
using trigger_actor =
    caf::typed_actor<caf::reacts_to<tick_atom, int64_t>,
                     caf::reacts_to<actors::deliver_atom, protocol::event_ptrs>,
                     caf::replies_to<state_atom>::with<std::string>>;

/// Spawns the actor of the enabled schedule trigger `def`.
trigger_actor
spawn_schedule_trigger(caf::actor_system& sys, trigger_deps deps,
                       std::shared_ptr<const flow::trigger_def> def);

} // namespace herald::automation
