#pragma once

// A task: one run of a workflow (DESIGN §5), and the state machine that
// runs its steps. The record is what GET /api/v1/tasks/{id} shows and what
// is persisted after every step, so a restart finds each task where it was.
//
//            start()                 finish_step(ok) and more steps
//   (new) ──────────▶ running ◀──────────────────────────────┐
//                        │ begin_step(i) ─▶ step i running ───┘
//                        ├─ last step done ──▶ succeeded (failed if a
//                        │   step failed with on_error continue)
//                        ├─ a step fails, on_error stop ────▶ failed
//                        ├─ cancel() ───────────────────────▶ cancelled
//                        └─ resume() after a restart: a step that was
//                           running starts again, except `http` (it may
//                           have been sent): ──────────────▶ failed
//
// Pure: callers pass instants (Unix ns) and do the I/O the machine asks
// for (emit, perform, wait, http, persist).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/flow/template.hpp"
#include "runtime/flow/workflow.hpp"

namespace herald::flow {

enum class task_state { running, succeeded, failed, cancelled };
std::string_view to_string(task_state s) noexcept;
/// "running" | … ; nullopt for anything else (query parameter).
std::optional<task_state> parse_task_state(std::string_view text) noexcept;

enum class step_state { pending, running, succeeded, failed, cancelled };
std::string_view to_string(step_state s) noexcept;

struct step_record {
  std::string name;
  step_state state = step_state::pending;
  int64_t started_ns = 0;
  int64_t ended_ns = 0;
  nlohmann::json output; ///< null: none
  std::string error;
};

/// Where a run came from, for outcome events and lineage.
struct task_origin {
  std::string trigger_id; ///< empty: run by hand (POST …/run)
  std::string trigger_name;
  std::string trigger_kind; ///< "schedule" | "event" | ""
  int trigger_priority = 0;
  std::string event_id;   ///< the triggering event's id (event triggers)
  std::string event_type; ///< its name
};

struct task_record {
  std::string id;
  std::string workflow_id;
  std::string workflow_name;
  task_origin origin;
  task_state state = task_state::running;
  std::string status = "unknown"; ///< set by set_status steps (003)
  std::string status_msg;
  nlohmann::json input = nlohmann::json::object();
  std::vector<step_record> steps;
  int64_t started_ns = 0;
  int64_t ended_ns = 0;
  std::string error;
  /// Template context beyond the input.
  std::optional<nlohmann::json> event; ///< the triggering event, native JSON
  std::optional<std::string> fire_time;
  /// W3C trace id (32 hex) every event of the run carries; the triggering
  /// event's when it had a traceparent.
  std::string trace_id;
  std::string trace_flags = "01";
  /// Index of the step running or next to run (== steps.size(): none).
  size_t current = 0;

  /// DESIGN §5's shape: id, workflow_id, trigger_id (when set), state,
  /// status, status_msg, input, outputs, steps[{name,state,started,ended,
  /// output,error}], started, ended, error (absent fields omitted).
  nlohmann::json to_api() const;
  /// The outputs of the steps that produced one, in step order.
  nlohmann::json outputs() const;
  /// Persistence: the whole record, read back by parse().
  std::string to_storage() const;
  static caf::expected<task_record> parse(std::string_view text);
  /// {"NAME": {"output": …}} of the ended steps (for ${steps…}).
  nlohmann::json steps_context() const;
};

/// Runs one task record against its workflow plan.
class task_machine {
public:
  /// A new run: one pending step per plan step, state running.
  static task_record make(const workflow_plan& plan, std::string id,
                          nlohmann::json input, task_origin origin,
                          int64_t now_ns);

  task_machine(const workflow_plan& plan, task_record rec);

  const task_record& record() const noexcept { return rec_; }
  task_record& record() noexcept { return rec_; }
  const workflow_plan& plan() const noexcept { return plan_; }

  bool ended() const noexcept { return rec_.state != task_state::running; }

  /// The step to run next (marked running at `now_ns`), or nullptr when
  /// the task has ended or no step is left (then it is ended succeeded).
  const step_plan* begin_step(int64_t now_ns);

  /// The running step ended: ok with `output`, or failed with `error`.
  /// A failure with on_error stop ends the task failed ("step 'NAME':
  /// error"); with continue the task goes on, and ends failed after its
  /// last step, naming the first step that failed.
  void finish_step(bool ok, nlohmann::json output, std::string error,
                   int64_t now_ns);

  /// A set_status step: sets status and status_msg.
  void set_status(std::string status, std::string message);

  /// Ends a running task cancelled (the running step too).
  void cancel(int64_t now_ns, std::string reason = "cancelled");

  /// Ends a running task failed with `reason` (e.g. its workflow is gone).
  void fail(int64_t now_ns, std::string reason);

  /// After a restart: a step that was running is started again (its
  /// started time kept), except an http step, which fails the task ("cut by
  /// a restart during http step 'NAME'; not retried: it may have been
  /// sent"). Returns whether the task goes on.
  bool resume(int64_t now_ns);

  /// The template context of this run for the running step.
  template_context context(const nlohmann::json& steps_ctx) const;

private:
  void end(task_state s, int64_t now_ns, std::string error);
  void end_after_last(int64_t now_ns);

  const workflow_plan& plan_;
  task_record rec_;
};

/// A W3C traceparent "00-<trace>-<span>-<flags>" with a fresh span id;
/// `seed` varies the span per step.
std::string make_traceparent(const task_record& rec, uint64_t seed);

/// Splits a traceparent into trace id and flags; nullopt when malformed.
std::optional<std::pair<std::string, std::string>>
parse_traceparent(std::string_view tp);

} // namespace herald::flow
