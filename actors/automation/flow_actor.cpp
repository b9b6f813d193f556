#include "actors/automation/flow_actor.hpp"

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/registry_subscribe.hpp"
#include "actors/automation/task_actor.hpp"
#include "actors/automation/trigger_actor.hpp"
#include "runtime/content_filter.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/subject_trie.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"

namespace herald::automation {

namespace {

using json = nlohmann::json;
using runtime::errc;
using runtime::make_api_error;
namespace fs = std::filesystem;

constexpr std::string_view workflow_prefix = "workflow/";
constexpr std::string_view trigger_prefix = "trigger/";
constexpr std::string_view health_prefix = "trigger-state/";
constexpr std::string_view task_prefix = "task/";
/// Marks that the built-in trigger was created once (a user may delete it).
constexpr std::string_view builtin_marker = "builtin/collect_and_cleanup";
constexpr const char* event_sub_id = "automation/event-triggers";

using plan_ptr = std::shared_ptr<const flow::workflow_plan>;
using trigger_ptr = std::shared_ptr<const flow::trigger_def>;

const json& builtin_trigger_document() {
  static const json doc{{"type", "schedule"},
                        {"name", "Collect and cleanup, hourly"},
                        {"cron", "0 * * * *"},
                        {"timezone", "UTC"},
                        {"workflow", std::string{flow::builtin_workflow_id}},
                        {"catch_up", "none"},
                        {"enabled", false}};
  return doc;
}

struct workflow_entry {
  plan_ptr plan;
  uint64_t version = 0;
};

struct trigger_entry {
  trigger_ptr def;
  uint64_t version = 0;
  trigger_actor actor; ///< enabled schedule triggers
  uint64_t failures = 0;
  std::string disabled_reason;
  uint64_t health_version = 0; ///< of "trigger-state/<id>" (0: none)
  int64_t last_fire_ns = 0;    ///< event triggers (in memory)
  uint64_t fires = 0;          ///< event triggers (in memory)
  bool indexed = false;        ///< an event trigger in the event index
  /// Bumped by every start/stop: an ownership answer for an older one is
  /// stale.
  uint64_t gen = 0;
};

struct running_task {
  task_actor actor;
  std::string workflow_id;
};

/// A run waiting for its workflow's running task (overlap queue).
struct queued_run {
  plan_ptr plan;
  flow::task_record rec;
};

struct lookup_result {
  plan_ptr plan;
  std::optional<flow::fire_failure> failure;
  std::string detail;
};

struct flow_state {
  flow_deps deps;
  flow_options opts;
  bool loaded = false; ///< tables loaded (list answers)
  bool ready = false;  ///< started (runs and fires accepted)
  std::vector<caf::typed_response_promise<std::string>> waiting_ready;
  /// Running tasks found at start-up, resumed by (start_atom).
  std::vector<flow::task_record> to_resume;
  std::map<std::string, workflow_entry> workflows;
  plan_ptr builtin;
  std::map<std::string, trigger_entry> triggers;
  runtime::subject_trie<std::string> event_index;
  bool subscribed = false;
  std::map<std::string, running_task> tasks;
  std::map<std::string, std::set<std::string>> running_by_workflow;
  /// Runs whose record is being stored (not spawned yet).
  std::set<std::string> starting;
  /// Ended tasks whose records are kept, oldest first.
  std::deque<std::string> ended;
  std::map<std::string, std::deque<queued_run>> queued;

  int64_t now() const { return opts.clock(); }
  flow_metrics& metrics() { return *opts.metrics; }

  /// The plan of workflow `id`: a definition, else a file, else the
  /// built-in; 003's causes when there is none or it does not validate.
  lookup_result lookup(const std::string& id) const {
    lookup_result r;
    if (auto it = workflows.find(id); it != workflows.end()) {
      r.plan = it->second.plan;
      return r;
    }
    if (!opts.workflows_dir.empty() && id.find('/') == std::string::npos &&
        id != "." && id != "..") {
      auto path = opts.workflows_dir / (id + ".json");
      std::error_code ec;
      if (fs::is_regular_file(path, ec)) {
        std::ifstream in{path};
        std::stringstream text;
        text << in.rdbuf();
        auto doc = json::parse(text.str(), nullptr, false);
        if (doc.is_discarded()) {
          r.failure = flow::fire_failure::flow_validation;
          r.detail = path.filename().string() + " is not valid JSON";
          return r;
        }
        auto plan = flow::workflow_plan::parse(id, doc);
        if (!plan) {
          auto e = runtime::describe(plan.error());
          r.failure = flow::fire_failure::flow_validation;
          r.detail =
              e.message + (e.field.empty() ? "" : " (at " + e.field + ")");
          return r;
        }
        r.plan = std::make_shared<const flow::workflow_plan>(std::move(*plan));
        return r;
      }
    }
    if (id == flow::builtin_workflow_id && builtin) {
      r.plan = builtin;
      return r;
    }
    r.failure = flow::fire_failure::fetch_flow;
    r.detail = "no workflow '" + id + "'";
    return r;
  }
};

using self_ptr = flow_actor::stateful_pointer<flow_state>;

// -- events -------------------------------------------------------------------

void define(self_ptr self, std::string key, std::optional<std::string> value,
            std::optional<uint64_t> expect, std::vector<v1::Event> evs,
            std::function<void(uint64_t)> then) {
  self->request(
          self->state.deps.definitions, caf::infinite, define_atom_v,
          protocol::definition_change{std::move(key), std::move(value), expect},
          std::move(evs))
      .then(
          [then = std::move(then)](const protocol::definition_result& r) {
            if (then)
              then(r.version);
          },
          [](const caf::error& err) {
            spdlog::warn("flow: cannot commit a change: {}",
                         runtime::describe(err).message);
          });
}

// -- triggers -----------------------------------------------------------------

void stop_trigger(self_ptr self, trigger_entry& e) {
  auto& st = self->state;
  ++e.gen;
  if (e.actor) {
    self->send_exit(e.actor, caf::exit_reason::user_shutdown);
    e.actor = nullptr;
    st.metrics().schedule_triggers.fetch_sub(1, std::memory_order_relaxed);
  }
  if (e.indexed) {
    e.indexed = false;
    if (st.event_index.erase(e.def->pattern(), e.def->id()))
      st.metrics().event_triggers.fetch_sub(1, std::memory_order_relaxed);
  }
}

void update_subscription(self_ptr self) {
  auto& st = self->state;
  const bool want = !st.event_index.empty();
  if (want == st.subscribed)
    return;
  st.subscribed = want;
  if (!want) {
    self->send(st.deps.registry, actors::unsubscribe_atom_v,
               std::string{event_sub_id});
    return;
  }
  subscribe_to_trail(self, st.deps.registry, event_sub_id, std::nullopt,
                     std::nullopt, [self](const caf::error& err) {
                       spdlog::error(
                           "flow: cannot subscribe for event triggers: {}",
                           runtime::describe(err).message);
                       self->state.subscribed = false;
                     });
}

/// Runs trigger `e` on this node: its actor (schedule) or its place in the
/// event index (event).
void activate(self_ptr self, trigger_entry& e, bool reschedule) {
  auto& st = self->state;
  if (e.def->kind() == flow::trigger_kind::schedule) {
    trigger_deps d;
    d.coordinator = st.deps.coordinator;
    d.registry = st.deps.registry;
    d.flow = caf::actor_cast<fire_runner_actor>(self);
    d.writer = st.deps.writer;
    d.clock = st.opts.clock;
    d.reschedule = reschedule;
    auto m = st.opts.metrics;
    d.on_fire = [m](double late) {
      m->fire_lateness_seconds.observe(std::max(late, 0.0));
    };
    e.actor = spawn_schedule_trigger(self->system(), std::move(d), e.def);
    st.metrics().schedule_triggers.fetch_add(1, std::memory_order_relaxed);
  } else {
    e.indexed = true;
    if (st.event_index.insert(e.def->pattern(), e.def->id()))
      st.metrics().event_triggers.fetch_add(1, std::memory_order_relaxed);
  }
}

/// Starts an enabled trigger: a schedule trigger if the coordinator says
/// this node owns it (in-process: always), stopping one this node no
/// longer owns; an event trigger always. Called for a new or changed
/// trigger and for every membership view.
void start_trigger(self_ptr self, trigger_entry& e, bool reschedule,
                   std::function<void()> done = {}) {
  auto& st = self->state;
  if (!e.def->enabled()) {
    if (done)
      done();
    return;
  }
  if (e.def->kind() == flow::trigger_kind::event) {
    // An event trigger runs on every node, for the events that node
    // stores (each event is in exactly one node's trail, so each fires
    // once); nothing to own.
    if (!e.indexed)
      activate(self, e, reschedule);
    update_subscription(self);
    if (done)
      done();
    return;
  }
  const auto id = e.def->id();
  const auto gen = e.gen;
  self->request(st.deps.coordinator, std::chrono::seconds{10},
                cluster::owner_atom_v, std::string{trigger_prefix} + id)
      .then(
          [self, id, gen, reschedule, done](const cluster::ownership& o) {
            auto& st2 = self->state;
            auto it = st2.triggers.find(id);
            if (it == st2.triggers.end() || it->second.gen != gen ||
                !it->second.def->enabled()) {
              if (done)
                done();
              return;
            }
            auto& e2 = it->second;
            const bool active = e2.actor || e2.indexed;
            if (o.local && !active)
              activate(self, e2, reschedule);
            else if (!o.local && active)
              stop_trigger(self, e2);
            // Subscribing here (before `done` answers a change) means an
            // event published after the answer reaches the trigger.
            update_subscription(self);
            if (done)
              done();
          },
          [id, done](const caf::error& err) {
            spdlog::warn("trigger {}: no owner known ({}); not started", id,
                         runtime::describe(err).message);
            if (done)
              done();
          });
}

/// 003's failure handling: trigger.<kind>.failed with the new failure
/// count, then (when the cause disables this kind) the definition turned
/// off with trigger.<kind>.disabled.
void fail_fire(self_ptr self, const std::string& trigger_id,
               flow::fire_failure cause, const std::string& detail,
               const std::string& event_id) {
  auto& st = self->state;
  auto it = st.triggers.find(trigger_id);
  if (it == st.triggers.end())
    return;
  auto& e = it->second;
  const auto kind = std::string{flow::to_string(e.def->kind())};
  const auto message = flow::failure_message(cause, detail);
  st.metrics().fire_failures.fetch_add(1, std::memory_order_relaxed);
  ++e.failures;
  const bool disable = flow::disables(cause, e.def->kind()) && e.def->enabled();
  if (disable)
    e.disabled_reason = message;
  json failed{{"trigger_id", trigger_id},
              {"flow_id", e.def->workflow()},
              {"error", message}};
  if (e.def->kind() == flow::trigger_kind::event)
    failed["event_id"] = event_id;
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event("trigger." + kind + ".failed",
                                           failed, st.now()));
  json health{{"failures", e.failures}};
  if (!e.disabled_reason.empty())
    health["disabled_reason"] = e.disabled_reason;
  define(self, std::string{health_prefix} + trigger_id, health.dump(),
         std::nullopt, std::move(evs),
         [self, trigger_id, disable, kind, message](uint64_t v) {
           auto& st2 = self->state;
           auto it2 = st2.triggers.find(trigger_id);
           if (it2 == st2.triggers.end())
             return;
           it2->second.health_version = v;
           if (!disable || !it2->second.def->enabled())
             return;
           const auto doc = it2->second.def->with_enabled(false);
           json disabled{{"trigger_id", trigger_id},
                         {"flow_id", it2->second.def->workflow()},
                         {"reason", message}};
           std::vector<v1::Event> evs2;
           evs2.push_back(runtime::make_system_event(
               "trigger." + kind + ".disabled", disabled, st2.now()));
           const auto expect = it2->second.version;
           define(
               self, std::string{trigger_prefix} + trigger_id, doc.dump(),
               expect, std::move(evs2), [self, trigger_id, doc](uint64_t ver) {
                 auto& st3 = self->state;
                 auto it3 = st3.triggers.find(trigger_id);
                 if (it3 == st3.triggers.end())
                   return;
                 auto def = flow::trigger_def::parse(trigger_id, doc);
                 if (!def)
                   return;
                 stop_trigger(self, it3->second);
                 it3->second.def =
                     std::make_shared<const flow::trigger_def>(std::move(*def));
                 it3->second.version = ver;
                 st3.metrics().triggers_disabled.fetch_add(
                     1, std::memory_order_relaxed);
                 update_subscription(self);
               });
         });
}

// -- runs ---------------------------------------------------------------------

/// Remembers an ended task and deletes the oldest records beyond
/// max_ended_tasks (unconditional deletes: a record already gone is fine).
void keep_ended(self_ptr self, std::string task_id) {
  auto& st = self->state;
  st.ended.push_back(std::move(task_id));
  while (st.ended.size() > st.opts.max_ended_tasks) {
    auto oldest = std::move(st.ended.front());
    st.ended.pop_front();
    self->request(st.deps.writer, caf::infinite, define_atom_v,
                  protocol::definition_change{std::string{task_prefix} + oldest,
                                              std::nullopt, std::nullopt},
                  std::vector<v1::Event>{})
        .then([](const protocol::definition_result&) {},
              [](const caf::error&) {});
  }
}

void spawn_run(self_ptr self, plan_ptr plan, flow::task_record rec,
               bool resumed) {
  auto& st = self->state;
  task_deps d{st.deps.writer, st.deps.registry, st.deps.hub,
              caf::actor_cast<task_owner_actor>(self)};
  const auto id = rec.id;
  const auto wf = rec.workflow_id;
  auto actor = spawn_task(self->system(), std::move(d), std::move(plan),
                          std::move(rec), resumed);
  // A run that stops without ending (its state could not be stored, the
  // node stops) leaves through the down handler.
  self->monitor(actor);
  st.tasks[id] = running_task{actor, wf};
  st.running_by_workflow[wf].insert(id); // (again, for resumed and queued)
  st.metrics().tasks_running.fetch_add(1, std::memory_order_relaxed);
}

/// Stores a run that overlap `skip` did not start (so it is visible and a
/// restart does not start it).
void store_skipped(self_ptr self, flow::task_record rec) {
  rec.state = flow::task_state::cancelled;
  rec.ended_ns = rec.started_ns;
  rec.error = "skipped: a run of '" + rec.workflow_id +
              "' is in progress (overlap skip)";
  define(self, std::string{task_prefix} + rec.id, rec.to_storage(),
         std::nullopt, {}, {});
}

/// Stores a new run's record with its task_started event, then calls
/// `then` (an error when it could not be stored). Messages to the writer
/// keep their order, so runs started one after the other here start in
/// that order in the trail.
void store_new(self_ptr self, const flow::task_record& rec,
               std::function<void(caf::error)> then) {
  std::vector<v1::Event> evs;
  evs.push_back(task_started_event(rec, self->state.now()));
  self->request(self->state.deps.writer, caf::infinite, define_atom_v,
                protocol::definition_change{std::string{task_prefix} + rec.id,
                                            rec.to_storage(), std::nullopt},
                std::move(evs))
      .then([then](const protocol::definition_result&) { then({}); },
            [then](const caf::error& err) { then(err); });
}

/// Starts `rec` under its workflow's overlap policy; `then` gets the
/// task id once its record is stored (or the error). A run that overlap
/// `skip` does not start is stored cancelled.
void start_run(self_ptr self, plan_ptr plan, flow::task_record rec,
               std::function<void(caf::expected<std::string>)> then = {}) {
  auto& st = self->state;
  auto& running = st.running_by_workflow[rec.workflow_id];
  const auto id = rec.id;
  auto report = [then, id](caf::error err) {
    if (!then)
      return;
    if (err)
      then(std::move(err));
    else
      then(id);
  };
  if (!running.empty()) {
    switch (plan->overlap()) {
    case flow::overlap_policy::skip:
      store_skipped(self, std::move(rec));
      return report({});
    case flow::overlap_policy::queue: {
      store_new(self, rec, report);
      st.queued[rec.workflow_id].push_back(
          queued_run{std::move(plan), std::move(rec)});
      return;
    }
    case flow::overlap_policy::replace:
      for (const auto& tid : running)
        if (auto it = st.tasks.find(tid); it != st.tasks.end())
          caf::anon_send(it->second.actor, cancel_atom_v);
      break;
    case flow::overlap_policy::parallel:
      break;
    }
  }
  // Counted as running from now on (overlap decisions see it), spawned
  // once stored.
  running.insert(id);
  st.starting.insert(id);
  store_new(
      self, rec,
      [self, plan = std::move(plan), rec, report](caf::error err) mutable {
        auto& s = self->state;
        s.starting.erase(rec.id);
        if (err) {
          s.running_by_workflow[rec.workflow_id].erase(rec.id);
          return report(std::move(err));
        }
        spawn_run(self, std::move(plan), std::move(rec), false);
        report({});
      });
}

flow::task_origin origin_of(const flow::trigger_def& t, const v1::Event* ev) {
  flow::task_origin o;
  o.trigger_id = t.id();
  o.trigger_name = t.name();
  o.trigger_kind = std::string{flow::to_string(t.kind())};
  o.trigger_priority = t.priority();
  if (ev) {
    o.event_id = ev->id();
    o.event_type = ev->name();
  }
  return o;
}

/// The fire pipeline of 003: answers the task id or the cause's error
/// (after emitting failed/disabled).
caf::expected<std::string>
fire_now(self_ptr self, trigger_entry& e, int64_t fire_ns, const v1::Event* ev,
         std::string task_id,
         std::function<void(caf::expected<std::string>)> then = {}) {
  auto& st = self->state;
  const auto& def = *e.def;
  auto fail = [&](flow::fire_failure cause, const std::string& detail) {
    fail_fire(self, def.id(), cause, detail, ev ? ev->id() : std::string{});
    return make_api_error(errc::invalid_field,
                          flow::failure_message(cause, detail), "workflow");
  };
  auto found = st.lookup(def.workflow());
  if (!found.plan)
    return fail(*found.failure, found.detail);
  std::optional<json> event_json;
  if (ev)
    event_json = runtime::to_native_json(*ev);
  flow::template_context ctx;
  ctx.event = event_json ? &*event_json : nullptr;
  if (fire_ns > 0)
    ctx.fire_time = runtime::format_rfc3339(fire_ns);
  auto input = def.render_input(ctx);
  if (!input)
    return fail(flow::fire_failure::prepare_input,
                runtime::describe(input.error()).message);
  if (auto why = found.plan->check_input(*input); !why.empty())
    return fail(flow::fire_failure::rejected_input, why);
  auto rec = flow::task_machine::make(*found.plan, task_id, std::move(*input),
                                      origin_of(def, ev), st.now());
  rec.event = std::move(event_json);
  rec.fire_time = ctx.fire_time;
  if (ev && !ev->traceparent().empty())
    if (auto tp = flow::parse_traceparent(ev->traceparent())) {
      rec.trace_id = tp->first;
      rec.trace_flags = tp->second;
    }
  st.metrics().fires.fetch_add(1, std::memory_order_relaxed);
  if (def.kind() == flow::trigger_kind::event) {
    e.last_fire_ns = st.now();
    ++e.fires;
  }
  start_run(self, found.plan, std::move(rec), std::move(then));
  return task_id;
}

void on_events(self_ptr self, const protocol::event_ptrs& evs) {
  auto& st = self->state;
  std::vector<std::string> ids;
  std::vector<trigger_entry*> hits;
  for (const auto& ev : evs) {
    ids.clear();
    st.event_index.match(ev->name(), ids);
    if (ids.empty())
      continue;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    hits.clear();
    for (const auto& id : ids) {
      auto it = st.triggers.find(id);
      if (it == st.triggers.end() || !it->second.def->enabled())
        continue;
      const auto& def = *it->second.def;
      // Loop protection: not what this trigger or its workflow caused.
      if (ev->has_origin() && (ev->origin().trigger_id() == def.id() ||
                               ev->origin().workflow_id() == def.workflow()))
        continue;
      if (def.filter() && !def.filter()->matches(*ev))
        continue;
      hits.push_back(&it->second);
    }
    // Higher priority runs first; ties by id.
    std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) {
      return a->def->priority() > b->def->priority();
    });
    for (auto* e : hits)
      (void)fire_now(self, *e, 0, ev.get(),
                     flow::fire_task_id(e->def->id(), ev->id()));
  }
}

// -- load ---------------------------------------------------------------------

/// Start-up, second half (after server.ready): the built-in trigger on the
/// first start, then runs resumed, triggers started, the sync events.
void go_live(self_ptr self, caf::typed_response_promise<bool> rp) {
  auto& st = self->state;
  for (auto& rec : st.to_resume) {
    auto found = st.lookup(rec.workflow_id);
    if (!found.plan) {
      // Its workflow is gone: end it explicitly.
      flow::task_machine m{*st.builtin, std::move(rec)};
      m.fail(st.now(),
             "cut by a restart and its workflow is gone: " + found.detail);
      auto evs = task_end_events(m.record(), st.now());
      define(self, std::string{task_prefix} + m.record().id,
             m.record().to_storage(), std::nullopt, std::move(evs), {});
      continue;
    }
    spdlog::info("task {}: resuming after a restart", rec.id);
    spawn_run(self, found.plan, std::move(rec), true);
  }
  st.to_resume.clear();
  // Ownership follows the membership (in-process: one view).
  self->request(st.deps.coordinator, caf::infinite, cluster::watch_atom_v,
                caf::actor_cast<cluster::membership_listener>(self))
      .then([](const cluster::membership&) {},
            [](const caf::error& err) {
              spdlog::warn("flow: cannot watch the membership: {}",
                           runtime::describe(err).message);
            });
  for (auto& [id, e] : st.triggers)
    start_trigger(self, e, false);
  st.ready = true;
  size_t sched = 0, event = 0;
  for (const auto& [id, e] : st.triggers)
    (e.def->kind() == flow::trigger_kind::schedule ? sched : event) += 1;
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "trigger.schedule.sync", json{{"triggers", sched}}, st.now()));
  evs.push_back(runtime::make_system_event(
      "trigger.event.sync", json{{"triggers", event}}, st.now()));
  self->request(st.deps.writer, caf::infinite, actors::write_atom_v,
                std::move(evs))
      .then(
          [rp](const std::vector<protocol::publish_result>&) mutable {
            rp.deliver(true);
          },
          [rp](const caf::error& err) mutable {
            spdlog::warn("flow: cannot store the sync events: {}",
                         runtime::describe(err).message);
            rp.deliver(true);
          });
}

/// The built-in hourly trigger is created once, disabled, on the first
/// start; a user may enable, change or delete it (the marker keeps a
/// deleted one deleted).
void seed_builtin_trigger(self_ptr self, std::function<void()> then) {
  self->request(self->state.deps.definitions, caf::infinite, get_atom_v,
                std::string{builtin_marker})
      .then([then](const protocol::definition&) { then(); },
            [self, then](const caf::error&) {
              const auto id = std::string{flow::builtin_workflow_id};
              std::vector<v1::Event> evs;
              evs.push_back(runtime::make_system_event(
                  "trigger.created",
                  json{{"id", id}, {"type", "schedule"}, {"by", "herald"}},
                  self->state.now()));
              define(self, std::string{trigger_prefix} + id,
                     builtin_trigger_document().dump(), std::nullopt,
                     std::move(evs), [self, id, then](uint64_t v) {
                       auto def = flow::trigger_def::parse(
                           id, builtin_trigger_document());
                       if (def) {
                         auto& e = self->state.triggers[id];
                         e.def = std::make_shared<const flow::trigger_def>(
                             std::move(*def));
                         e.version = v;
                       }
                       define(self, std::string{builtin_marker}, "{}",
                              std::nullopt, {}, [then](uint64_t) { then(); });
                     });
            });
}

/// Start-up, first half (before server.ready; writes nothing but deletes
/// of old task records): the tables are loaded, running tasks noted.
void loaded(self_ptr self) {
  auto& st = self->state;
  st.loaded = true;
  auto waiting = std::move(st.waiting_ready);
  st.waiting_ready.clear();
  for (auto& p : waiting)
    p.deliver(std::string{"[]"}); // the caller only waits; it lists again
}

void load_tasks(self_ptr self) {
  self->request(self->state.deps.definitions, caf::infinite, list_atom_v,
                std::string{task_prefix})
      .then(
          [self](const std::vector<protocol::definition>& defs) {
            auto& st = self->state;
            // Ended tasks, oldest first, for the bound on kept records.
            std::vector<std::pair<int64_t, std::string>> ended;
            for (const auto& d : defs) {
              auto rec = flow::task_record::parse(d.value);
              if (!rec)
                continue;
              if (rec->state != flow::task_state::running)
                ended.emplace_back(rec->ended_ns, rec->id);
              else
                st.to_resume.push_back(std::move(*rec));
            }
            std::sort(ended.begin(), ended.end());
            for (auto& [at, id] : ended)
              keep_ended(self, std::move(id));
            loaded(self);
          },
          [self](const caf::error& err) {
            spdlog::error("flow: cannot list tasks: {}",
                          runtime::describe(err).message);
            loaded(self);
          });
}

void load_triggers(self_ptr self) {
  auto& st = self->state;
  self->request(st.deps.definitions, caf::infinite, list_atom_v,
                std::string{"trigger"})
      .then(
          [self](const std::vector<protocol::definition>& defs) {
            auto& st = self->state;
            for (const auto& d : defs) {
              std::string_view key = d.key;
              if (key.starts_with(trigger_prefix)) {
                auto id = std::string{key.substr(trigger_prefix.size())};
                auto doc = json::parse(d.value, nullptr, false);
                auto def = flow::trigger_def::parse(id, doc);
                if (!def) {
                  spdlog::error("trigger {}: stored definition does not "
                                "validate: {}",
                                id, runtime::describe(def.error()).message);
                  continue;
                }
                auto& e = st.triggers[id];
                e.def =
                    std::make_shared<const flow::trigger_def>(std::move(*def));
                e.version = d.version;
              } else if (key.starts_with(health_prefix)) {
                auto id = std::string{key.substr(health_prefix.size())};
                auto doc = json::parse(d.value, nullptr, false);
                auto& e = st.triggers[id];
                e.health_version = d.version;
                if (doc.is_object()) {
                  e.failures = doc.value("failures", uint64_t{0});
                  e.disabled_reason = doc.value("disabled_reason", "");
                }
              }
            }
            // Health without a trigger (deleted): forget it.
            for (auto it = st.triggers.begin(); it != st.triggers.end();)
              it = it->second.def ? std::next(it) : st.triggers.erase(it);
            load_tasks(self);
          },
          [self](const caf::error& err) {
            spdlog::error("flow: cannot list triggers: {}",
                          runtime::describe(err).message);
            load_tasks(self);
          });
}

void load(self_ptr self) {
  self->request(self->state.deps.definitions, caf::infinite, list_atom_v,
                std::string{workflow_prefix})
      .then(
          [self](const std::vector<protocol::definition>& defs) {
            auto& st = self->state;
            for (const auto& d : defs) {
              auto id = d.key.substr(workflow_prefix.size());
              auto doc = json::parse(d.value, nullptr, false);
              auto plan = flow::workflow_plan::parse(id, doc);
              if (!plan) {
                spdlog::error("workflow {}: stored definition does not "
                              "validate: {}",
                              id, runtime::describe(plan.error()).message);
                continue;
              }
              st.workflows[id] = workflow_entry{
                  std::make_shared<const flow::workflow_plan>(std::move(*plan)),
                  d.version};
            }
            load_triggers(self);
          },
          [self](const caf::error& err) {
            spdlog::error("flow: cannot list workflows: {}",
                          runtime::describe(err).message);
            load_triggers(self);
          });
}

// -- answers ------------------------------------------------------------------

json workflow_summary(const std::string& id, const flow::workflow_plan* plan,
                      std::string_view origin, uint64_t version,
                      const std::string& error) {
  json j{{"id", id},
         {"name", plan ? plan->name() : id},
         {"origin", origin},
         {"valid", plan != nullptr}};
  if (version)
    j["version"] = version;
  if (!error.empty())
    j["error"] = error;
  if (plan)
    j["steps"] = plan->steps().size();
  return j;
}

std::vector<std::string> file_ids(const fs::path& dir) {
  std::vector<std::string> out;
  if (dir.empty())
    return out;
  std::error_code ec;
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end;
       it.increment(ec))
    if (it->path().extension() == ".json" && it->is_regular_file(ec))
      out.push_back(it->path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string list_workflows(const flow_state& st) {
  std::map<std::string, json> all;
  if (st.builtin)
    all[st.builtin->id()] =
        workflow_summary(st.builtin->id(), st.builtin.get(), "builtin", 0, {});
  for (const auto& id : file_ids(st.opts.workflows_dir)) {
    auto r = st.lookup(id);
    if (st.workflows.count(id))
      continue;
    all[id] = workflow_summary(id, r.plan.get(), "file", 0,
                               r.plan ? std::string{} : r.detail);
  }
  for (const auto& [id, e] : st.workflows)
    all[id] = workflow_summary(id, e.plan.get(), "api", e.version, {});
  json arr = json::array();
  for (auto& [id, j] : all)
    arr.push_back(std::move(j));
  return arr.dump();
}

flow_actor::behavior_type flow_impl(self_ptr self, flow_deps deps,
                                    flow_options opts) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.opts = std::move(opts);
  if (!st.opts.metrics)
    st.opts.metrics = std::make_shared<flow_metrics>();
  if (!st.opts.clock)
    st.opts.clock = [] { return runtime::now_unix_ns(); };
  auto builtin = flow::workflow_plan::parse(flow::builtin_workflow_id,
                                            flow::builtin_workflow_document());
  if (builtin)
    st.builtin =
        std::make_shared<const flow::workflow_plan>(std::move(*builtin));
  else
    spdlog::error("the built-in workflow does not validate: {}",
                  runtime::describe(builtin.error()).message);
  // Runs and trigger actors end with the flow actor (shutdown): the actor
  // system would otherwise wait for their timers.
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    for (auto it = st.tasks.begin(); it != st.tasks.end(); ++it)
      if (it->second.actor.address() == msg.source) {
        // It quit without (ended_atom): its stored record still says
        // running, so the next start resumes it; here it no longer blocks
        // its workflow's overlap.
        st.running_by_workflow[it->second.workflow_id].erase(it->first);
        st.metrics().tasks_running.fetch_sub(1, std::memory_order_relaxed);
        st.tasks.erase(it);
        return;
      }
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto& [id, t] : st.tasks)
      self->send_exit(t.actor, msg.reason);
    for (auto& [id, e] : st.triggers)
      if (e.actor)
        self->send_exit(e.actor, msg.reason);
    self->quit(msg.reason);
  });
  load(self);
  auto unavailable = [] {
    return make_api_error(errc::unavailable,
                          "workflows and triggers are loading");
  };
  return {
      [self](start_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.loaded)
          return make_api_error(errc::unavailable,
                                "workflows and triggers are loading");
        if (st.ready)
          return true;
        auto rp = self->make_response_promise<bool>();
        seed_builtin_trigger(self, [self, rp]() mutable { go_live(self, rp); });
        return rp;
      },
      [self](list_atom) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.loaded) {
          auto p = self->make_response_promise<std::string>();
          st.waiting_ready.push_back(p);
          return p;
        }
        return list_workflows(st);
      },
      [self](get_atom, const std::string& id) -> caf::result<std::string> {
        auto& st = self->state;
        auto r = st.lookup(id);
        std::string origin = "api";
        uint64_t version = 0;
        if (auto it = st.workflows.find(id); it != st.workflows.end())
          version = it->second.version;
        else if (r.plan && r.plan == st.builtin)
          origin = "builtin";
        else
          origin = "file";
        if (!r.plan && r.failure == flow::fire_failure::fetch_flow)
          return make_api_error(errc::not_found, "no such workflow: " + id,
                                "id");
        auto j = workflow_summary(id, r.plan.get(), origin, version, r.detail);
        if (r.plan)
          j["definition"] = r.plan->source();
        return j.dump();
      },
      [self](apply_atom, const std::string& key, bool exists,
             const std::string& text, uint64_t version) -> caf::result<bool> {
        const auto value =
            exists ? std::optional<std::string>{text} : std::nullopt;
        auto& st = self->state;
        std::string_view k = key;
        if (k.starts_with(workflow_prefix)) {
          auto id = std::string{k.substr(workflow_prefix.size())};
          if (!value) {
            st.workflows.erase(id);
            return true;
          }
          auto plan = flow::workflow_plan::parse(
              id, json::parse(*value, nullptr, false));
          if (!plan) {
            st.workflows.erase(id);
            return false;
          }
          st.workflows[id] = workflow_entry{
              std::make_shared<const flow::workflow_plan>(std::move(*plan)),
              version};
          return true;
        }
        if (k.starts_with(trigger_prefix)) {
          auto id = std::string{k.substr(trigger_prefix.size())};
          auto it = st.triggers.find(id);
          if (it != st.triggers.end())
            stop_trigger(self, it->second);
          if (!value) {
            if (it != st.triggers.end())
              st.triggers.erase(it);
            update_subscription(self);
            return true;
          }
          auto def =
              flow::trigger_def::parse(id, json::parse(*value, nullptr, false));
          if (!def) {
            if (it != st.triggers.end())
              st.triggers.erase(it);
            update_subscription(self);
            return false;
          }
          auto& e = st.triggers[id];
          e.def = std::make_shared<const flow::trigger_def>(std::move(*def));
          e.version = version;
          if (e.def->enabled() && !e.disabled_reason.empty()) {
            // Enabled again: the reason no longer holds.
            e.disabled_reason.clear();
            json health{{"failures", e.failures}};
            define(self, std::string{health_prefix} + id, health.dump(),
                   std::nullopt, {}, {});
          }
          // Answered once the trigger runs (or is known not to be ours).
          auto rp = self->make_response_promise<bool>();
          start_trigger(self, e, true, [rp]() mutable { rp.deliver(true); });
          update_subscription(self);
          return rp;
        }
        return false;
      },
      [self,
       unavailable](run_atom, const std::string& workflow_id,
                    const std::string& input_json) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.ready)
          return unavailable();
        auto r = st.lookup(workflow_id);
        if (!r.plan) {
          if (r.failure == flow::fire_failure::fetch_flow)
            return make_api_error(errc::not_found,
                                  "no such workflow: " + workflow_id, "id");
          return make_api_error(errc::invalid_field,
                                flow::failure_message(*r.failure, r.detail),
                                "id");
        }
        auto input = json::parse(input_json, nullptr, false);
        if (input.is_discarded())
          return make_api_error(errc::invalid_json,
                                "the input is not valid JSON");
        if (auto why = r.plan->check_input(input); !why.empty())
          return make_api_error(
              errc::invalid_field,
              flow::failure_message(flow::fire_failure::rejected_input, why),
              "/");
        auto& running = st.running_by_workflow[workflow_id];
        if (!running.empty() && r.plan->overlap() == flow::overlap_policy::skip)
          return make_api_error(errc::conflict,
                                "a run of '" + workflow_id +
                                    "' is in progress (overlap skip)",
                                "id");
        auto id = runtime::new_uuid_v7(st.now());
        auto rec = flow::task_machine::make(*r.plan, id, std::move(input), {},
                                            st.now());
        auto rp = self->make_response_promise<std::string>();
        start_run(self, r.plan, std::move(rec),
                  [rp](caf::expected<std::string> res) mutable {
                    if (res)
                      rp.deliver(std::move(*res));
                    else
                      rp.deliver(std::move(res.error()));
                  });
        return rp;
      },
      [self, unavailable](fire_atom, const std::string& trigger_id)
          -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.ready)
          return unavailable();
        auto it = st.triggers.find(trigger_id);
        if (it == st.triggers.end())
          return make_api_error(errc::not_found,
                                "no such trigger: " + trigger_id, "id");
        auto rp = self->make_response_promise<std::string>();
        auto r = fire_now(self, it->second,
                          it->second.def->kind() == flow::trigger_kind::schedule
                              ? st.now() / 1000000000 * 1000000000
                              : 0,
                          nullptr, runtime::new_uuid_v7(st.now()),
                          [rp](caf::expected<std::string> res) mutable {
                            if (res)
                              rp.deliver(std::move(*res));
                            else
                              rp.deliver(std::move(res.error()));
                          });
        if (!r)
          return std::move(r.error());
        return rp;
      },
      [self](fire_atom, const std::string& trigger_id, int64_t fire_ns,
             const protocol::event_ptrs& event,
             const std::string& task_id) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.tasks.count(task_id))
          return task_id; // running already
        auto rp = self->make_response_promise<std::string>();
        // Started before (a restart repeating a committed fire)?
        self->request(st.deps.definitions, caf::infinite, get_atom_v,
                      std::string{task_prefix} + task_id)
            .then(
                [rp, task_id](const protocol::definition&) mutable {
                  rp.deliver(task_id);
                },
                [self, rp, trigger_id, fire_ns, event,
                 task_id](const caf::error&) mutable {
                  auto& st2 = self->state;
                  auto it = st2.triggers.find(trigger_id);
                  if (it == st2.triggers.end() || st2.tasks.count(task_id)) {
                    rp.deliver(task_id);
                    return;
                  }
                  const v1::Event* ev =
                      event.empty() ? nullptr : event.front().get();
                  auto r = fire_now(self, it->second, fire_ns, ev, task_id);
                  if (r)
                    rp.deliver(*r);
                  else
                    rp.deliver(std::move(r.error()));
                });
        return rp;
      },
      [self](cancel_atom, const std::string& task_id) -> caf::result<bool> {
        auto& st = self->state;
        auto it = st.tasks.find(task_id);
        if (it == st.tasks.end()) {
          // Queued runs are cancelled before they start.
          for (auto& [wf, q] : st.queued)
            for (auto qi = q.begin(); qi != q.end(); ++qi)
              if (qi->rec.id == task_id) {
                auto rec = std::move(qi->rec);
                q.erase(qi);
                flow::task_machine m{*st.builtin, std::move(rec)};
                m.cancel(st.now());
                define(self, std::string{task_prefix} + task_id,
                       m.record().to_storage(), std::nullopt,
                       task_end_events(m.record(), st.now()), {});
                return true;
              }
          return false;
        }
        auto rp = self->make_response_promise<bool>();
        self->request(it->second.actor, std::chrono::seconds{30}, cancel_atom_v)
            .then([rp](bool ok) mutable { rp.deliver(ok); },
                  [rp](const caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [self](state_atom,
             const std::string& trigger_id) -> caf::result<std::string> {
        auto& st = self->state;
        auto it = st.triggers.find(trigger_id);
        if (it == st.triggers.end())
          return make_api_error(errc::not_found,
                                "no such trigger: " + trigger_id, "id");
        const auto& e = it->second;
        json j{{"enabled", e.def->enabled()}, {"failures", e.failures}};
        if (!e.disabled_reason.empty())
          j["disabled_reason"] = e.disabled_reason;
        if (e.def->kind() == flow::trigger_kind::event) {
          j["fires"] = e.fires;
          if (e.last_fire_ns)
            j["last_fire"] = runtime::format_rfc3339(e.last_fire_ns);
          return j.dump();
        }
        auto rp = self->make_response_promise<std::string>();
        self->request(st.deps.coordinator, std::chrono::seconds{10},
                      cluster::progress_atom_v,
                      std::string{trigger_prefix} + trigger_id)
            .then(
                [rp, j, def = e.def,
                 now = st.now()](const cluster::progress& p) mutable {
                  auto s = flow::trigger_state::parse(p.value);
                  int64_t next = 0;
                  if (s) {
                    j["fires"] = s->fires;
                    if (s->last_fire_ns)
                      j["last_fire"] = runtime::format_rfc3339(s->last_fire_ns);
                    next = s->next_fire_ns;
                  }
                  // A trigger actor that has not committed its first state
                  // yet (just enabled): the schedule says what comes next.
                  if (next <= 0 && def->when())
                    next = def->when()->next(now).value_or(0);
                  if (def->enabled() && next > 0)
                    j["next_fire"] = runtime::format_rfc3339(next);
                  rp.deliver(j.dump());
                },
                [rp](const caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [self](ended_atom, const std::string& task_id,
             const std::string& workflow_id, const std::string& state) {
        auto& st = self->state;
        if (st.tasks.erase(task_id) == 0)
          return;
        keep_ended(self, task_id);
        auto& m = st.metrics();
        m.tasks_running.fetch_sub(1, std::memory_order_relaxed);
        if (state == "succeeded")
          m.tasks_succeeded.fetch_add(1, std::memory_order_relaxed);
        else if (state == "cancelled")
          m.tasks_cancelled.fetch_add(1, std::memory_order_relaxed);
        else
          m.tasks_failed.fetch_add(1, std::memory_order_relaxed);
        auto& running = st.running_by_workflow[workflow_id];
        running.erase(task_id);
        auto q = st.queued.find(workflow_id);
        if (running.empty() && q != st.queued.end() && !q->second.empty()) {
          auto next = std::move(q->second.front());
          q->second.pop_front();
          spawn_run(self, std::move(next.plan), std::move(next.rec), false);
        }
      },
      [self](actors::deliver_atom, const protocol::event_ptrs& evs) {
        on_events(self, evs);
      },
      [self](cluster::view_atom, const cluster::membership&) {
        // Ownership may have moved: each trigger is checked again.
        for (auto& [id, e] : self->state.triggers)
          start_trigger(self, e, false);
      }};
}

} // namespace

flow_actor spawn_flow(caf::actor_system& sys, flow_deps deps,
                      flow_options opts) {
  return sys.spawn(flow_impl, std::move(deps), std::move(opts));
}

} // namespace herald::automation
