#include "actors/automation/trigger_actor.hpp"

#include <algorithm>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/registry_subscribe.hpp"
#include "actors/cluster/errc.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::automation {

namespace {

using json = nlohmann::json;

struct trigger_state_t {
  trigger_deps deps;
  std::shared_ptr<const flow::trigger_def> def;
  flow::trigger_state state;
  uint64_t revision = 0;
  bool loaded = false;
  /// This node's id (the coordinator's self), asked once before the first
  /// load: a fire committed here names it (pending_node).
  std::string node_id;
  bool node_known = false;
  /// The instant whose wait_for_event is open (0: none).
  int64_t waiting = 0;
  std::string key() const { return "trigger/" + def->id(); }
  std::string wait_sub() const { return "trigger/" + def->id() + "/wait"; }
};

using self_ptr = trigger_actor::stateful_pointer<trigger_state_t>;

void load(self_ptr self);

void arm(self_ptr self) {
  auto& st = self->state;
  if (st.state.next_fire_ns <= 0)
    return; // the schedule has no next instant
  const auto now = st.deps.clock();
  const auto wait_ns = std::max<int64_t>(st.state.next_fire_ns - now, 0);
  self->delayed_send(self, std::chrono::nanoseconds{wait_ns}, tick_atom_v,
                     st.state.next_fire_ns);
}

void on_commit_error(self_ptr self, const caf::error& err) {
  if (err == cluster::errc::fenced) {
    spdlog::info("trigger {}: not its owner any more", self->state.def->id());
    self->quit();
    return;
  }
  if (err == cluster::errc::conflict) {
    load(self); // someone else moved it: read again
    return;
  }
  spdlog::warn("trigger {}: cannot commit a fire ({}); retrying in 1 s",
               self->state.def->id(), runtime::describe(err).message);
  self->delayed_send(self, std::chrono::seconds{1}, tick_atom_v,
                     self->state.state.next_fire_ns);
}

/// Commits `next` as the trigger's state, then calls `then`.
void commit(self_ptr self, flow::trigger_state next,
            std::function<void()> then) {
  auto& st = self->state;
  self->request(st.deps.coordinator, std::chrono::seconds{30},
                cluster::commit_atom_v, st.key(), st.revision,
                next.to_json_text())
      .then(
          [self, next, then = std::move(then)](uint64_t rev) {
            self->state.revision = rev;
            self->state.state = next;
            then();
          },
          [self](const caf::error& err) { on_commit_error(self, err); });
}

void ask_flow(self_ptr self, int64_t instant, protocol::event_ptrs event,
              std::string task_id) {
  auto& st = self->state;
  self->request(st.deps.flow, std::chrono::seconds{60}, fire_atom_v,
                st.def->id(), instant, std::move(event), task_id)
      .then(
          [self, task_id](const std::string&) {
            // The task is stored (here): the fire is no longer pending.
            // Until this commit lands, a restart of this node starts it
            // again (flow finds the record: no second run); another
            // owner leaves it (load()).
            auto& s = self->state;
            if (s.state.pending_task != task_id)
              return;
            auto next = s.state;
            next.pending_task.clear();
            next.pending_node.clear();
            commit(self, next, [] {});
          },
          [self](const caf::error& err) {
            spdlog::debug("trigger {}: fire not run: {}", self->state.def->id(),
                          runtime::describe(err).message);
          });
}

/// Commits the fire of `instant` and runs it.
void fire(self_ptr self, int64_t instant, protocol::event_ptrs event,
          bool rearm) {
  auto& st = self->state;
  auto next = st.state;
  next.last_fire_ns = instant;
  auto n = st.def->when()->next(std::max(instant, st.deps.clock() - 1));
  next.next_fire_ns = n ? *n : 0;
  next.pending_task = flow::fire_task_id(st.def->id(), std::to_string(instant));
  next.pending_node = st.node_id;
  ++next.fires;
  commit(
      self, next, [self, instant, rearm, event = std::move(event)]() mutable {
        auto& s = self->state;
        if (s.deps.on_fire)
          s.deps.on_fire(static_cast<double>(s.deps.clock() - instant) / 1e9);
        ask_flow(self, instant, std::move(event), s.state.pending_task);
        if (rearm)
          arm(self);
      });
}

void end_wait(self_ptr self) {
  auto& st = self->state;
  if (st.waiting != 0)
    self->send(st.deps.registry, actors::unsubscribe_atom_v, st.wait_sub());
  st.waiting = 0;
}

void start_wait(self_ptr self, int64_t instant) {
  auto& st = self->state;
  const auto& w = *st.def->wait();
  st.waiting = instant;
  subscribe_to_trail(
      self, st.deps.registry, st.wait_sub(), w.pattern, w.filter,
      [self](const caf::error& err) {
        spdlog::warn("trigger {}: cannot wait for its event: {}",
                     self->state.def->id(), runtime::describe(err).message);
      },
      true);
  self->delayed_send(self, w.timeout, tick_atom_v, -instant);
}

/// The wait of `instant` timed out: the instant ends with
/// trigger.schedule.error (committed first so a restart does not wait
/// again).
void wait_timed_out(self_ptr self, int64_t instant) {
  auto& st = self->state;
  end_wait(self);
  auto next = st.state;
  next.last_fire_ns = instant;
  auto n = st.def->when()->next(std::max(instant, st.deps.clock() - 1));
  next.next_fire_ns = n ? *n : 0;
  next.pending_task.clear();
  next.pending_node.clear();
  commit(self, next, [self, instant] {
    auto& s = self->state;
    const auto& w = *s.def->wait();
    const std::string error = "wait_for_event: no '" + w.pattern +
                              "' event within " +
                              flow::format_duration(w.timeout);
    json d{{"schedule_id", s.def->id()},
           {"schedule_name", s.def->name()},
           {"flow_id", s.def->workflow()},
           {"flow_name", s.def->workflow()},
           {"inputs", 0},
           {"outputs", 0},
           {"duration_ms", (s.deps.clock() - instant) / 1000000},
           {"ok", false},
           {"error", error},
           {"status", "unknown"},
           {"status_msg", ""}};
    std::vector<v1::Event> evs;
    evs.push_back(runtime::make_system_event("trigger.schedule.error", d,
                                             s.deps.clock()));
    self->request(s.deps.writer, caf::infinite, actors::write_atom_v,
                  std::move(evs))
        .then([](const std::vector<protocol::publish_result>&) {},
              [](const caf::error&) {});
    arm(self);
  });
}

void on_tick(self_ptr self, int64_t instant) {
  auto& st = self->state;
  if (!st.loaded)
    return;
  if (instant < 0) {
    if (st.waiting == -instant)
      wait_timed_out(self, -instant);
    return;
  }
  if (instant != st.state.next_fire_ns || st.waiting != 0)
    return; // stale timer
  const auto now = st.deps.clock();
  if (now < instant) {
    arm(self); // early wake-up
    return;
  }
  if (st.def->wait()) {
    start_wait(self, instant);
    return;
  }
  fire(self, instant, {}, true);
}

/// Start-up (and after a conflict): read the state, finish what a restart
/// cut, catch up, arm.
void load(self_ptr self) {
  auto& st = self->state;
  auto retry = [self](const caf::error& err) {
    spdlog::warn("trigger {}: cannot read its state ({}); retrying",
                 self->state.def->id(), runtime::describe(err).message);
    self->delayed_send(self, std::chrono::seconds{1}, tick_atom_v, int64_t{0});
    self->state.loaded = false;
  };
  if (!st.node_known) {
    self->request(st.deps.coordinator, std::chrono::seconds{30},
                  cluster::self_atom_v)
        .then(
            [self](const cluster::member& m) {
              self->state.node_id = m.id;
              self->state.node_known = true;
              load(self);
            },
            retry);
    return;
  }
  self->request(st.deps.coordinator, std::chrono::seconds{30},
                cluster::progress_atom_v, st.key())
      .then(
          [self](const cluster::progress& p) {
            auto& s = self->state;
            auto parsed = flow::trigger_state::parse(p.value);
            s.state = parsed ? *parsed : flow::trigger_state{};
            s.revision = p.revision;
            s.loaded = true;
            const auto now = s.deps.clock();
            const auto& when = *s.def->when();
            // A committed fire whose task may not have started. Only the
            // node that committed it can tell (its task records): another
            // node leaves it, as that node may have run it before it was
            // cut off or died (never twice; lost if it died first).
            if (!s.state.pending_task.empty()) {
              if (s.state.pending_node.empty() ||
                  s.state.pending_node == s.node_id)
                ask_flow(self, s.state.last_fire_ns, {}, s.state.pending_task);
              else
                spdlog::info("trigger {}: the fire of {} was committed by "
                             "{}, which may have run it; not run here",
                             s.def->id(),
                             runtime::format_rfc3339(s.state.last_fire_ns),
                             s.state.pending_node);
            }
            if (p.revision == 0 || s.state.next_fire_ns <= 0 ||
                s.deps.reschedule) {
              s.deps.reschedule = false;
              auto next = s.state;
              auto n = when.next(now);
              next.next_fire_ns = n ? *n : 0;
              commit(self, next, [self] { arm(self); });
              return;
            }
            if (s.state.next_fire_ns > now) {
              arm(self);
              return;
            }
            // Instants missed while down: [next_fire, now].
            auto missed =
                when.missed(s.state.next_fire_ns - 1, now, s.def->catch_up());
            if (missed.empty() || s.def->wait()) {
              auto next = s.state;
              auto n = when.next(now);
              next.next_fire_ns = n ? *n : 0;
              commit(self, next, [self] { arm(self); });
              return;
            }
            // Fire each missed instant in order; the last one re-arms.
            auto chain = std::make_shared<std::function<void(size_t)>>();
            *chain = [self, missed, chain](size_t i) {
              if (i >= missed.size())
                return;
              auto& s2 = self->state;
              auto next = s2.state;
              next.last_fire_ns = missed[i];
              const auto now2 = s2.deps.clock();
              auto n = i + 1 < missed.size()
                           ? std::optional<int64_t>{missed[i + 1]}
                           : s2.def->when()->next(now2);
              next.next_fire_ns = n ? *n : 0;
              next.pending_task =
                  flow::fire_task_id(s2.def->id(), std::to_string(missed[i]));
              next.pending_node = s2.node_id;
              ++next.fires;
              commit(self, next, [self, chain, i, missed] {
                auto& s3 = self->state;
                ask_flow(self, missed[i], {}, s3.state.pending_task);
                if (i + 1 < missed.size())
                  (*chain)(i + 1);
                else
                  arm(self);
              });
            };
            (*chain)(0);
          },
          retry);
}

trigger_actor::behavior_type
trigger_impl(self_ptr self, trigger_deps deps,
             std::shared_ptr<const flow::trigger_def> def) {
  auto& st = self->state;
  st.deps = std::move(deps);
  if (!st.deps.clock)
    st.deps.clock = [] { return runtime::now_unix_ns(); };
  st.def = std::move(def);
  load(self);
  return {[self](tick_atom, int64_t instant) {
            if (!self->state.loaded && instant == 0) {
              load(self);
              return;
            }
            on_tick(self, instant);
          },
          [self](actors::deliver_atom, const protocol::event_ptrs& evs) {
            auto& st = self->state;
            if (st.waiting == 0 || evs.empty())
              return;
            const auto instant = st.waiting;
            end_wait(self);
            fire(self, instant, protocol::event_ptrs{evs.front()}, true);
          },
          [self](state_atom) { return self->state.state.to_json_text(); }};
}

} // namespace

trigger_actor
spawn_schedule_trigger(caf::actor_system& sys, trigger_deps deps,
                       std::shared_ptr<const flow::trigger_def> def) {
  return sys.spawn(trigger_impl, std::move(deps), std::move(def));
}

} // namespace herald::automation
