#pragma once

// The listener hub's bookkeeping as a plain class (no actors, no clock):
// which listeners are connected, which actions are out and who still owes
// an answer. The hub actor (listener_hub.cpp) owns one and turns messages,
// timers and monitors into calls; tests/automation/listener_table_test.cpp
// exercises the rules without spawning anything.
//
// An action is keyed by (task_id, step). Its life:
//
//   perform ──no target──▶ finished at once (ok, no listeners)
//      │ targets = connected listeners handling it, at that moment
//      ▼
//   waiting {targets not answered yet} ──each answers──▶ finished
//      │                                 (ok unless one sent action_error)
//      ├── expire(serial) ─▶ finished: "timed out waiting for L1, L2"
//      └── abort(task)    ─▶ finished: "cancelled" (abort frames to the
//                             connected targets still waiting)
//
// A target that disconnects still owes its answer; connect() with its id
// hands back the actions it owes, to be sent again. Answers that match no
// waiting (action, listener) pair are ignored.
//
// Thread-safety: none; the owner serializes access.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "actors/automation/type_ids.hpp"

namespace herald::automation {

class listener_table {
public:
  /// An action that has finished: answer the request `serial` with
  /// `outcome`.
  struct finished {
    uint64_t serial = 0;
    action_outcome outcome;
  };

  /// What perform() decided.
  struct started {
    uint64_t serial = 0;
    /// Listeners to send the action to (sorted); empty when `done`.
    std::vector<std::string> targets;
    /// Set when the action finished at once (nobody handles it).
    std::optional<action_outcome> done;
  };

  /// A frame owed to a listener: `req` as an action_abort.
  struct abort_notice {
    std::string listener_id;
    action_request req;
  };

  /// What abort() decided.
  struct aborted {
    std::vector<finished> done;
    std::vector<abort_notice> notices;
  };

  /// Registers listener `id` (connected since `now_ns`). Returns the actions
  /// still waiting for `id` (to be sent again, in perform order). Errors:
  /// runtime::errc::conflict (field "listener_id") when `id` is connected.
  caf::expected<std::vector<action_request>>
  connect(const std::string& id, std::vector<std::string> handles,
          std::string ip, int64_t now_ns);

  /// Listener `id` is gone; false (nothing changes) if it was not
  /// connected. Its actions keep waiting for it.
  bool disconnect(const std::string& id);

  bool is_connected(const std::string& id) const;

  /// Starts `req` (serial numbers start at 1). Errors:
  /// runtime::errc::conflict when (task_id, step) is already waiting.
  caf::expected<started> perform(action_request req);

  /// Listener `id` answered (task_id, step): ok (action_done) or not
  /// (action_error with `error`). Returns the action if that was the last
  /// answer; nothing if the answer is late, unknown or not `id`'s.
  std::optional<finished> answer(const std::string& id,
                                 const std::string& task_id,
                                 const std::string& step, bool ok,
                                 const std::string& error);

  /// The timeout of action `serial` fired: finishes it naming who did not
  /// answer. Nothing if it finished already.
  std::optional<finished> expire(uint64_t serial);

  /// Task `task_id` was cancelled: finishes all its actions ("cancelled")
  /// and lists the abort frames owed to connected listeners still waiting.
  aborted abort(const std::string& task_id);

  /// Is (task_id, step) waiting for an answer of `id`?
  bool is_waiting_for(const std::string& id, const std::string& task_id,
                      const std::string& step) const;

  /// Connected listeners by id, with the number of actions each owes.
  std::vector<listener_info> listeners() const;

  /// Connected listener ids (sorted).
  std::vector<std::string> connected_ids() const;

  /// Finishes every action with `outcome_error` (ok=false): the hub stops.
  std::vector<finished> finish_all(const std::string& outcome_error);

  /// Actions waiting.
  size_t pending() const noexcept { return actions_.size(); }

private:
  using key = std::pair<std::string, std::string>; ///< (task_id, step)

  struct listener {
    std::vector<std::string> handles; ///< sorted
    std::string ip;
    int64_t connected_ns = 0;
  };

  struct action {
    uint64_t serial = 0;
    action_request req;
    std::vector<std::string> targets; ///< sorted
    std::set<std::string> waiting;    ///< targets that did not answer
    /// action_error answers, in arrival order: (listener, error).
    std::vector<std::pair<std::string, std::string>> errors;
  };

  finished finish(std::map<key, action>::iterator it,
                  std::optional<std::string> failure);

  std::map<std::string, listener> listeners_;
  std::map<key, action> actions_;
  std::map<uint64_t, key> by_serial_;
  uint64_t next_serial_ = 0;
};

} // namespace herald::automation
