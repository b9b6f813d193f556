#include "actors/automation/listener_hub.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/listener_codec.hpp"
#include "actors/automation/listener_table.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::automation {

namespace {

using json = nlohmann::json;
using runtime::errc;

/// How long a write of the hub's events may take before it is logged as
/// failed (the event is lost, the hub goes on).
constexpr std::chrono::seconds write_timeout{30};

/// The hub as spawned: its interface plus its own timer message
/// `(tick_atom, serial)`, the timeout of action `serial`.
using hub_impl_actor =
    listener_hub_actor::extend<caf::reacts_to<tick_atom, uint64_t>>;

struct hub_state {
  // Not an aggregate: CAF would build it from the actor pointer otherwise
  // (C++20 parenthesized aggregate init).
  hub_state() = default;

  actors::writer_actor writer;
  listener_table table;
  /// The sink of each connected listener.
  std::map<std::string, listener_sink_actor> sinks;
  /// The requests of the actions waiting, by serial.
  std::map<uint64_t, caf::typed_response_promise<action_outcome>> waiting;
  bool stopping = false;
  /// The exit reason once stopping: the hub quits with it when no write of
  /// its events is in flight any more.
  caf::error exit_reason;
  /// Writes of the hub's events sent and not answered yet.
  size_t writes = 0;
  std::shared_ptr<listener_hub_metrics> metrics;

  /// Publishes the table's size to the metrics (after every change).
  void count() {
    metrics->connected.store(static_cast<int64_t>(table.connected_ids().size()),
                             std::memory_order_relaxed);
    metrics->actions_out.store(static_cast<int64_t>(table.pending()),
                               std::memory_order_relaxed);
  }

  static inline const char* name = "listener_hub";
};

using hub_pointer = hub_impl_actor::stateful_pointer<hub_state>;

caf::error stopping_error() {
  return runtime::make_api_error(errc::unavailable,
                                 "the listener hub is stopping");
}

/// Quits once stopping and no write is in flight.
void quit_when_written(hub_pointer self) {
  auto& st = self->state;
  if (st.stopping && st.writes == 0)
    self->quit(st.exit_reason);
}

/// Writes one system event through the writer (in order with the hub's
/// other events: the writer answers requests in the order they came).
void emit(hub_pointer self, std::string name, const json& data) {
  std::vector<v1::Event> events;
  events.push_back(
      runtime::make_system_event(name, data, runtime::now_unix_ns()));
  ++self->state.writes;
  self->request(self->state.writer, write_timeout, actors::write_atom_v,
                std::move(events))
      .then(
          [self](std::vector<protocol::publish_result>&) {
            --self->state.writes;
            quit_when_written(self);
          },
          [self, name](caf::error& err) {
            spdlog::warn("listener hub: cannot store {}: {}", name,
                         runtime::describe(err).message);
            --self->state.writes;
            quit_when_written(self);
          });
}

/// Answers the perform request waiting under `serial` (if any) with
/// `answer`: an outcome, or an error.
template <class Answer>
void answer_waiting(hub_pointer self, uint64_t serial, Answer answer) {
  auto& waiting = self->state.waiting;
  auto it = waiting.find(serial);
  if (it == waiting.end())
    return;
  it->second.deliver(std::move(answer));
  waiting.erase(it);
  self->state.count();
}

void deliver(hub_pointer self, listener_table::finished done) {
  answer_waiting(self, done.serial, std::move(done.outcome));
}

void send_frame(hub_pointer self, const std::string& id, std::string frame) {
  auto it = self->state.sinks.find(id);
  if (it != self->state.sinks.end())
    self->send(it->second, frame_atom_v, std::move(frame));
}

/// Listener `id` is gone (its session said so, or its sink went down).
void drop_listener(hub_pointer self, const std::string& id,
                   const std::string& reason) {
  auto& st = self->state;
  if (!st.table.disconnect(id))
    return;
  if (auto it = st.sinks.find(id); it != st.sinks.end()) {
    self->demonitor(it->second.address());
    st.sinks.erase(it);
  }
  spdlog::info("listener {} disconnected: {}", id, reason);
  emit(self, "message-listener-disconnected",
       json{{"listener_id", id}, {"reason", reason}});
  st.count();
}

/// The exit: finish what waits, announce every connected listener as gone,
/// close their sinks, and quit once the writer has answered every write of
/// the hub's events (those sent before included).
void stop(hub_pointer self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.exit_reason = std::move(reason);
  // Waiting steps get an error, not an outcome: the node is stopping, so
  // the step did not fail (its task resumes it after the restart).
  for (auto& done : st.table.finish_all("listener hub stopped"))
    answer_waiting(
        self, done.serial,
        runtime::make_api_error(errc::unavailable, "listener hub stopped"));
  for (const auto& id : st.table.connected_ids()) {
    if (auto it = st.sinks.find(id); it != st.sinks.end())
      self->send(it->second, close_atom_v, std::string{"shutdown"});
    st.table.disconnect(id);
    emit(self, "message-listener-disconnected",
         json{{"listener_id", id}, {"reason", "shutdown"}});
  }
  st.sinks.clear();
  st.count();
  quit_when_written(self);
}

hub_impl_actor::behavior_type
hub_impl(hub_pointer self, actors::writer_actor writer,
         std::shared_ptr<listener_hub_metrics> metrics) {
  self->state.writer = std::move(writer);
  self->state.metrics = std::move(metrics);
  self->set_down_handler([self](caf::down_msg& msg) {
    for (const auto& [id, sink] : self->state.sinks)
      if (sink.address() == msg.source) {
        auto gone = id; // drop_listener erases the entry
        drop_listener(self, gone, "connection closed");
        return;
      }
  });
  self->set_exit_handler(
      [self](caf::exit_msg& msg) { stop(self, std::move(msg.reason)); });
  return {
      [self](connect_atom, std::string& id, std::vector<std::string>& handles,
             std::string& ip, listener_sink_actor& sink) -> caf::result<bool> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        // The table, the event and the listing show one sorted set.
        std::sort(handles.begin(), handles.end());
        handles.erase(std::unique(handles.begin(), handles.end()),
                      handles.end());
        auto owed = st.table.connect(id, handles, ip, runtime::now_unix_ns());
        if (!owed)
          return std::move(owed.error());
        self->monitor(sink);
        st.sinks[id] = sink;
        spdlog::info("listener {} connected from {} (handles: {})", id, ip,
                     json(handles).dump());
        emit(self, "message-listener-connected",
             json{{"listener_id", id}, {"handles", handles}, {"ip", ip}});
        for (const auto& req : *owed)
          send_frame(self, id, encode_action_frame(req));
        st.count();
        return true;
      },
      [self](disconnect_atom, std::string& id, std::string& reason) {
        drop_listener(self, id, reason);
      },
      [self](done_atom, std::string& id, std::string& task_id,
             std::string& step, bool ok, std::string& error) {
        if (auto done = self->state.table.answer(id, task_id, step, ok, error))
          deliver(self, std::move(*done));
      },
      [self](progress_atom, std::string& id, std::string& task_id,
             std::string& step, double percent, std::string& message) {
        if (!self->state.table.is_waiting_for(id, task_id, step))
          return;
        json data{{"task_id", task_id}, {"step", step}, {"listener_id", id}};
        if (percent >= 0)
          data["percent"] = percent;
        if (!message.empty())
          data["message"] = message;
        emit(self, "progress", data);
      },
      [self](perform_atom, action_request& req) -> caf::result<action_outcome> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        if (req.data_json.empty())
          req.data_json = "{}";
        if (!is_json_object(req.data_json))
          return runtime::make_api_error(errc::invalid_field,
                                         "the action's data must be a JSON "
                                         "object",
                                         "data_json");
        auto started = st.table.perform(req);
        if (!started)
          return std::move(started.error());
        if (started->done)
          return std::move(*started->done);
        auto rp = self->make_response_promise<action_outcome>();
        st.waiting.emplace(started->serial, rp);
        if (req.timeout_ms > 0)
          self->delayed_send(self, std::chrono::milliseconds{req.timeout_ms},
                             tick_atom_v, started->serial);
        auto frame = encode_action_frame(req);
        for (const auto& id : started->targets)
          send_frame(self, id, frame);
        st.count();
        return rp;
      },
      [self](abort_atom, std::string& task_id) {
        auto aborted = self->state.table.abort(task_id);
        for (const auto& notice : aborted.notices)
          send_frame(self, notice.listener_id, encode_abort_frame(notice.req));
        for (auto& done : aborted.done)
          deliver(self, std::move(done));
      },
      [self](listeners_atom) { return self->state.table.listeners(); },
      [self](tick_atom, uint64_t serial) {
        if (auto done = self->state.table.expire(serial))
          deliver(self, std::move(*done));
      },
  };
}

} // namespace

listener_hub_actor
spawn_listener_hub(caf::actor_system& sys, actors::writer_actor writer,
                   std::shared_ptr<listener_hub_metrics> metrics) {
  if (!metrics)
    metrics = std::make_shared<listener_hub_metrics>();
  return caf::actor_cast<listener_hub_actor>(
      sys.spawn(hub_impl, std::move(writer), std::move(metrics)));
}

bool stop_listener_hub(caf::actor_system& sys, const listener_hub_actor& hub,
                       std::chrono::milliseconds timeout) {
  if (!hub)
    return true;
  caf::scoped_actor self{sys};
  self->monitor(hub);
  self->send_exit(hub, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(timeout) >> [] {});
  return down;
}

} // namespace herald::automation
