#include "actors/automation/task_actor.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/http_call.hpp"
#include "actors/automation/registry_subscribe.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::automation {

namespace {

using json = nlohmann::json;
using flow::step_kind;

int64_t now() {
  return runtime::now_unix_ns();
}

/// 003's "number of flow input data items".
size_t count_items(const json& v) {
  if (v.is_null())
    return 0;
  if (v.is_array())
    return v.size();
  return 1;
}

void stamp(v1::Event& ev, const flow::task_record& rec, uint64_t seed) {
  auto* o = ev.mutable_origin();
  o->set_trigger_id(rec.origin.trigger_id);
  o->set_workflow_id(rec.workflow_id);
  o->set_task_id(rec.id);
  if (!rec.trace_id.empty())
    ev.set_traceparent(flow::make_traceparent(rec, seed));
}

v1::Event sys_event(std::string name, const json& data,
                    const flow::task_record& rec, std::string id_suffix,
                    int64_t t) {
  auto ev = runtime::make_system_event(std::move(name), data, t);
  ev.set_id(rec.id + "." + id_suffix);
  stamp(ev, rec, 0);
  return ev;
}

/// An event a step emits (kind user, source herald).
v1::Event run_event(std::string name, const json& data,
                    const flow::task_record& rec, size_t step, int64_t t) {
  v1::Event ev;
  ev.set_id(rec.id + "." + std::to_string(step));
  ev.set_name(std::move(name));
  ev.set_source("herald");
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(t);
  if (!data.is_null())
    ev.set_data_json(data.dump());
  stamp(ev, rec, step + 1);
  return ev;
}

struct task_state_t {
  task_deps deps;
  std::shared_ptr<const flow::workflow_plan> plan;
  std::unique_ptr<flow::task_machine> machine;
  /// Bumped when a step starts or the task is cancelled: async results of
  /// an older generation are stale.
  uint64_t gen = 0;
  /// The registry subscription of a running wait_for_event step.
  std::string wait_sub;
  bool ending = false;
};

using self_ptr = task_actor::stateful_pointer<task_state_t>;

void advance(self_ptr self, std::vector<v1::Event> batch);

/// Writes the record (and `events`) as definition "task/<id>", then `then`.
/// A failed write stops the actor: the stored record still says where the
/// task was, so a restart resumes it.
void persist(self_ptr self, std::vector<v1::Event> events,
             std::function<void()> then) {
  auto& rec = self->state.machine->record();
  protocol::definition_change change{"task/" + rec.id, rec.to_storage(),
                                     std::nullopt};
  self->request(self->state.deps.writer, caf::infinite, actors::define_atom_v,
                std::move(change), std::move(events))
      .then([then = std::move(then)](
                const protocol::definition_result&) { then(); },
            [self](const caf::error& err) {
              spdlog::warn("task {}: cannot store its state ({}); it resumes "
                           "after a restart",
                           self->state.machine->record().id,
                           runtime::describe(err).message);
              self->quit();
            });
}

void finish(self_ptr self, std::vector<v1::Event> batch) {
  auto& st = self->state;
  if (st.ending)
    return;
  st.ending = true;
  const auto& rec = st.machine->record();
  for (auto& ev : task_end_events(rec, now()))
    batch.push_back(std::move(ev));
  persist(self, std::move(batch), [self] {
    const auto& r = self->state.machine->record();
    if (self->state.deps.flow)
      self->send(self->state.deps.flow, ended_atom_v, r.id, r.workflow_id,
                 std::string{flow::to_string(r.state)});
    self->quit();
  });
}

void step_done(self_ptr self, bool ok, json output, std::string error) {
  auto& st = self->state;
  ++st.gen;
  if (!st.wait_sub.empty()) {
    self->send(st.deps.registry, actors::unsubscribe_atom_v, st.wait_sub);
    st.wait_sub.clear();
  }
  st.machine->finish_step(ok, std::move(output), std::move(error), now());
  advance(self, {});
}

void start_wait(self_ptr self, const flow::step_plan& step) {
  auto& st = self->state;
  const auto& rec = st.machine->record();
  st.wait_sub = "task/" + rec.id + "/" + step.name;
  const auto g = st.gen;
  subscribe_to_trail(
      self, st.deps.registry, st.wait_sub, step.wait->pattern,
      step.wait->filter,
      [self, g](const caf::error& err) {
        if (self->state.gen == g)
          step_done(self, false, nullptr,
                    "cannot wait: " + runtime::describe(err).message);
      },
      true);
  self->delayed_send(self, step.timeout, tick_atom_v, g);
}

void start_action(self_ptr self, const flow::step_plan& step, json data) {
  auto& st = self->state;
  const auto& rec = st.machine->record();
  action_request req{rec.id, step.name, step.action->action, data.dump(),
                     static_cast<int64_t>(step.timeout.count())};
  const auto g = st.gen;
  self->request(st.deps.hub, step.timeout + std::chrono::seconds{30},
                perform_atom_v, std::move(req))
      .then(
          [self, g](const action_outcome& out) {
            if (self->state.gen != g)
              return;
            json output{{"listeners", out.listeners}};
            step_done(self, out.ok, std::move(output), out.error);
          },
          [self, g](const caf::error& err) {
            if (self->state.gen != g)
              return;
            if (runtime::describe(err).code == runtime::errc::unavailable) {
              // The node is stopping: the step did not fail. The stored
              // record says it runs; the restart resumes it.
              self->quit();
              return;
            }
            step_done(self, false, nullptr,
                      "action failed: " + runtime::describe(err).message);
          });
}

void start_http(self_ptr self, http_call call) {
  auto me = caf::actor_cast<caf::actor>(self);
  const auto g = self->state.gen;
  self->spawn<caf::detached>(
      [me, g, call = std::move(call)](caf::event_based_actor* a) {
        auto out = perform_http(call);
        json output{{"status", out.status}};
        auto body = json::parse(out.body, nullptr, false);
        if (!body.is_discarded())
          output["body"] = std::move(body);
        else if (!out.body.empty())
          output["body"] = out.body;
        a->send(me, step_atom_v, g, out.ok, output.dump(), out.error);
        a->quit();
      });
}

/// Runs steps until one has to wait or the task ends; `batch` holds events
/// not yet written.
void advance(self_ptr self, std::vector<v1::Event> batch) {
  auto& st = self->state;
  auto& m = *st.machine;
  for (;;) {
    if (st.ending)
      return;
    const auto t = now();
    const flow::step_plan* step = m.begin_step(t);
    if (!step)
      return finish(self, std::move(batch));
    ++st.gen;
    const size_t index = m.record().current;
    auto steps_ctx = m.record().steps_context();
    auto ctx = m.context(steps_ctx);
    switch (step->kind) {
    case step_kind::emit: {
      caf::expected<std::string> name = step->emit->name;
      if (step->emit->name_template)
        name = step->emit->name_template->render_text(ctx);
      auto data = step->emit->data.render(ctx);
      if (!name || !data) {
        m.finish_step(
            false, nullptr,
            runtime::describe(!name ? name.error() : data.error()).message,
            now());
        continue;
      }
      if (!runtime::is_valid_name(*name)) {
        m.finish_step(false, nullptr, "not an event name: " + *name, now());
        continue;
      }
      auto ev = run_event(*name, *data, m.record(), index, t);
      if (step->emit->scope)
        ev.set_scope(*step->emit->scope);
      json output{{"id", ev.id()}, {"name", *name}};
      batch.push_back(std::move(ev));
      m.finish_step(true, std::move(output), {}, now());
      continue;
    }
    case step_kind::set_status: {
      auto msg = step->status->message.render_text(ctx);
      if (!msg) {
        m.finish_step(false, nullptr, runtime::describe(msg.error()).message,
                      now());
        continue;
      }
      m.set_status(step->status->status, *msg);
      m.finish_step(true, nullptr, {}, now());
      continue;
    }
    case step_kind::perform_action: {
      auto data = step->action->data.render(ctx);
      if (!data) {
        m.finish_step(false, nullptr, runtime::describe(data.error()).message,
                      now());
        continue;
      }
      json ev_data{{"task_id", m.record().id}, {"step", step->name}};
      if (data->is_object() && !data->empty())
        ev_data["data"] = *data;
      batch.push_back(
          run_event(step->action->action, ev_data, m.record(), index, t));
      persist(self, std::move(batch),
              [self, step, data = std::move(*data), g = st.gen] {
                if (self->state.gen == g && !self->state.ending)
                  start_action(self, *step, data);
              });
      return;
    }
    case step_kind::wait_for_event:
      persist(self, std::move(batch), [self, step, g = st.gen] {
        if (self->state.gen == g && !self->state.ending)
          start_wait(self, *step);
      });
      return;
    case step_kind::http: {
      http_call call;
      call.method = step->http->method;
      call.timeout = step->timeout;
      auto url = step->http->url.render(ctx);
      std::string error;
      if (!url)
        error = runtime::describe(url.error()).message;
      else if (!url->is_string())
        error = "url did not render to a string";
      else
        call.url = url->get<std::string>();
      for (const auto& [k, v] : step->http->headers) {
        if (!error.empty())
          break;
        auto hv = v.render(ctx);
        if (!hv)
          error = runtime::describe(hv.error()).message;
        else
          call.headers.emplace_back(k, hv->is_string() ? hv->get<std::string>()
                                                       : hv->dump());
      }
      if (error.empty() && step->http->body) {
        auto body = step->http->body->render(ctx);
        if (!body)
          error = runtime::describe(body.error()).message;
        else {
          call.body = body->dump();
          call.has_body = true;
        }
      }
      if (!error.empty()) {
        m.finish_step(false, nullptr, error, now());
        continue;
      }
      call.headers.emplace_back("traceparent",
                                flow::make_traceparent(m.record(), index + 1));
      persist(self, std::move(batch),
              [self, call = std::move(call), g = st.gen]() mutable {
                if (self->state.gen == g && !self->state.ending)
                  start_http(self, std::move(call));
              });
      return;
    }
    }
  }
}

task_actor::behavior_type
task_impl(self_ptr self, task_deps deps,
          std::shared_ptr<const flow::workflow_plan> plan,
          flow::task_record rec, bool resumed) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.plan = std::move(plan);
  st.machine = std::make_unique<flow::task_machine>(*st.plan, std::move(rec));
  if (resumed && !st.machine->resume(now())) {
    finish(self, {});
    return task_actor::behavior_type{
        [](cancel_atom) { return false; },
        [](actors::deliver_atom, const protocol::event_ptrs&) {},
        [](tick_atom, uint64_t) {},
        [](step_atom, uint64_t, bool, const std::string&, const std::string&) {
        }};
  }
  std::vector<v1::Event> first;
  advance(self, std::move(first));
  return {[self](cancel_atom) -> bool {
            auto& s = self->state;
            if (s.ending || s.machine->ended())
              return false;
            ++s.gen;
            self->send(s.deps.hub, abort_atom_v, s.machine->record().id);
            if (!s.wait_sub.empty()) {
              self->send(s.deps.registry, actors::unsubscribe_atom_v,
                         s.wait_sub);
              s.wait_sub.clear();
            }
            s.machine->cancel(now());
            finish(self, {});
            return true;
          },
          [self](actors::deliver_atom, const protocol::event_ptrs& evs) {
            auto& s = self->state;
            if (s.wait_sub.empty() || evs.empty() || s.ending)
              return;
            step_done(self, true, runtime::to_native_json(*evs.front()), {});
          },
          [self](tick_atom, uint64_t g) {
            auto& s = self->state;
            if (s.gen != g || s.ending || s.machine->ended())
              return;
            step_done(self, false, nullptr, "timed out");
          },
          [self](step_atom, uint64_t g, bool ok, const std::string& output,
                 const std::string& error) {
            if (self->state.gen != g || self->state.ending)
              return;
            auto out = json::parse(output, nullptr, false);
            step_done(self, ok, out.is_discarded() ? json{} : std::move(out),
                      error);
          }};
}

} // namespace

v1::Event task_started_event(const flow::task_record& r, int64_t t) {
  json data{{"task_id", r.id}, {"workflow_id", r.workflow_id}};
  if (!r.origin.trigger_id.empty())
    data["trigger_id"] = r.origin.trigger_id;
  return sys_event("task_started", data, r, "start", t);
}

std::vector<v1::Event> task_end_events(const flow::task_record& rec,
                                       int64_t t) {
  std::vector<v1::Event> out;
  const bool ok = rec.state == flow::task_state::succeeded;
  const int64_t duration_ms = rec.ended_ns > rec.started_ns
                                  ? (rec.ended_ns - rec.started_ns) / 1000000
                                  : 0;
  json end{{"task_id", rec.id},
           {"workflow_id", rec.workflow_id},
           {"state", flow::to_string(rec.state)},
           {"ok", ok},
           {"error", rec.error},
           {"duration_ms", duration_ms}};
  out.push_back(sys_event("task_end", end, rec, "end", t));
  const auto& o = rec.origin;
  if (o.trigger_kind.empty())
    return out;
  const auto outputs = rec.outputs();
  json d;
  if (o.trigger_kind == "schedule") {
    d = json{{"schedule_id", o.trigger_id}, {"schedule_name", o.trigger_name}};
  } else {
    d = json{{"trigger_id", o.trigger_id},
             {"trigger_name", o.trigger_name},
             {"trigger_priority", o.trigger_priority}};
  }
  d["flow_id"] = rec.workflow_id;
  d["flow_name"] = rec.workflow_name;
  d["inputs"] = count_items(rec.input);
  d["outputs"] = outputs.size();
  d["duration_ms"] = duration_ms;
  d["ok"] = ok;
  d["error"] = ok ? std::string{} : rec.error;
  if (o.trigger_kind == "event") {
    d["event_id"] = o.event_id;
    d["event_type"] = o.event_type;
  }
  d["status"] = rec.status.empty() ? "unknown" : rec.status;
  d["status_msg"] = rec.status_msg;
  d["task_id"] = rec.id;
  out.push_back(sys_event("trigger." + o.trigger_kind + (ok ? ".ok" : ".error"),
                          d, rec, "outcome", t));
  return out;
}

task_actor spawn_task(caf::actor_system& sys, task_deps deps,
                      std::shared_ptr<const flow::workflow_plan> plan,
                      flow::task_record rec, bool resumed) {
  return sys.spawn(task_impl, std::move(deps), std::move(plan), std::move(rec),
                   resumed);
}

} // namespace herald::automation
