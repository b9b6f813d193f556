#include "tools/api/automation_api.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "runtime/content_filter.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/task.hpp"
#include "runtime/flow/trigger.hpp"
#include "runtime/flow/workflow.hpp"
#include "runtime/subject.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/definition_helpers.hpp"
#include "tools/api/query_params.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;
namespace field = boost::beast::http;

constexpr std::chrono::milliseconds flow_timeout{30000};

/// A flow actor answer as JSON text.
template <class... Ts>
void ask_flow(admin_context& admin, const automation_handles& h,
              unsigned version, bool keep_alive, http::reply_fn reply,
              std::function<void(std::string)> on_ok, Ts... xs) {
  ask_or_reply(
      admin.sys(), h.flow, "workflows are not running on this node",
      flow_timeout, version, keep_alive, std::move(reply),
      [on_ok](std::string& text) { on_ok(std::move(text)); }, std::move(xs)...);
}

} // namespace

automation_api::automation_api(admin_context& admin,
                               const automation_handles& handles)
    : admin_(admin), handles_(handles) {}

void automation_api::add_routes(routes& table) {
  auto add = [&](std::string pattern, auto fn) {
    add_caller_route(table, this, std::move(pattern), fn);
  };
  add("/api/v1/workflows", &automation_api::workflows);
  add("/api/v1/workflows/{id}", &automation_api::workflow);
  add("/api/v1/workflows/{id}/run", &automation_api::run);
  add("/api/v1/tasks", &automation_api::tasks);
  add("/api/v1/tasks/{id}", &automation_api::task);
  add("/api/v1/tasks/{id}/cancel", &automation_api::cancel);
  add("/api/v1/triggers", &automation_api::triggers);
  add("/api/v1/triggers/{id}", &automation_api::trigger);
  add("/api/v1/triggers/{id}/preview", &automation_api::preview);
  add("/api/v1/patterns/test", &automation_api::pattern_test);
  for (std::string_view action : {"enable", "disable", "fire"})
    table.add({{},
               "/api/v1/triggers/{id}/" + std::string{action},
               std::string{http::any_caller},
               [this, action](http::request_context& ctx, const caller* from,
                              http::reply_fn reply) {
                 trigger_action(ctx, from->who, action, std::move(reply));
               }});
}

void automation_api::with_precondition(
    const http::request_context& ctx, const std::string& key,
    const http::reply_fn& reply,
    std::function<void(std::optional<uint64_t>)> then) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto expect = http::parse_precondition(ctx.req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  if (*expect != http::any_version_precondition)
    return then(*expect);
  // `If-Match: *`: only an existing definition, whatever its version.
  admin_.read(
      key,
      [key, then = std::move(then), reply, version,
       keep_alive](std::optional<protocol::definition> d) {
        if (!d)
          return reply(error_response(errc::conflict, key + " does not exist",
                                      "If-Match", version, keep_alive));
        then(d->version);
      },
      version, keep_alive, reply);
}

void automation_api::remove(const http::request_context& ctx,
                            const std::string& key, std::string event_name,
                            const std::string& id, const runtime::identity& who,
                            http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(std::move(event_name),
                                           {{"id", id}, {"by", who.name}},
                                           runtime::now_unix_ns()));
  with_precondition(ctx, key, reply,
                    [this, key, evs = std::move(evs), reply, version,
                     keep_alive](std::optional<uint64_t> want) mutable {
                      commit(key, std::nullopt, want, std::move(evs), version,
                             keep_alive, reply,
                             [reply, version, keep_alive](uint64_t) {
                               reply(no_content(version, keep_alive));
                             });
                    });
}

void automation_api::commit(std::string key, std::optional<std::string> value,
                            std::optional<uint64_t> expect,
                            std::vector<v1::Event> evs, unsigned version,
                            bool keep_alive, http::reply_fn reply,
                            std::function<void(uint64_t)> on_ok) {
  admin_.define(protocol::definition_change{key, value, expect}, std::move(evs),
                version, keep_alive, reply,
                [this, key, value, version, keep_alive, reply,
                 on_ok = std::move(on_ok)](uint64_t v) {
                  if (!handles_.flow)
                    return on_ok(v);
                  ask(
                      admin_.sys(), handles_.flow, flow_timeout,
                      [on_ok, v](bool) { on_ok(v); },
                      [reply, version, keep_alive](caf::error& err) {
                        reply(error_response(err, version, keep_alive));
                      },
                      automation::apply_atom_v, key, value.has_value(),
                      value.value_or(std::string{}), v);
                });
}

// -- workflows ----------------------------------------------------------------

void automation_api::workflows(http::request_context& ctx,
                               const runtime::identity& who,
                               http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "/api/v1/workflows takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  ask_flow(
      admin_, handles_, version, keep_alive, reply,
      [reply, version, keep_alive](std::string text) {
        reply(json_response(200, R"({"workflows":)" + text + "}", version,
                            keep_alive));
      },
      automation::list_atom_v);
}

void automation_api::workflow(http::request_context& ctx,
                              const runtime::identity& who,
                              http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto id = definition_id(ctx, "workflow", errc::invalid_id, reply);
  if (!id)
    return;
  const auto method = req.method();
  if (method == verb::get) {
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    return ask_flow(
        admin_, handles_, version, keep_alive, reply,
        [reply, version, keep_alive](std::string text) {
          auto j = json::parse(text, nullptr, false);
          auto res = json_response(200, std::move(text), version, keep_alive);
          if (j.is_object() && j.contains("version"))
            res = with_etag(std::move(res), j["version"].get<uint64_t>());
          reply(std::move(res));
        },
        automation::get_atom_v, *id);
  }
  if (method != verb::put && method != verb::delete_)
    return reply(wrong_method(req, "a workflow takes GET, PUT or DELETE"));
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  const auto key = "workflow/" + *id;
  if (method == verb::delete_)
    return remove(ctx, key, "workflow.deleted", *id, who, std::move(reply));
  auto doc = json_body(req, reply, json{});
  if (!doc)
    return;
  auto plan = flow::workflow_plan::parse(*id, *doc);
  if (!plan)
    return reply(error_response(plan.error(), version, keep_alive));
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "workflow.updated",
      {{"id", *id}, {"name", plan->name()}, {"by", who.name}},
      runtime::now_unix_ns()));
  auto text = doc->dump();
  with_precondition(
      ctx, key, reply,
      [this, key, text, evs = std::move(evs), id = *id, reply, version,
       keep_alive](std::optional<uint64_t> want) mutable {
        commit(key, text, want, std::move(evs), version, keep_alive, reply,
               [id, text, reply, version, keep_alive](uint64_t v) {
                 std::string out = R"({"id":)" + json(id).dump() +
                                   R"(,"version":)" + std::to_string(v) +
                                   R"(,"definition":)" + text + "}";
                 reply(
                     with_etag(json_response(v == 1 ? 201 : 200, std::move(out),
                                             version, keep_alive),
                               v));
               });
      });
}

void automation_api::run(http::request_context& ctx,
                         const runtime::identity& who, http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (req.method() != verb::post)
    return reply(wrong_method(req, "…/run takes POST"));
  if (auto err = need(who, role_publisher))
    return reply(error_response(err, version, keep_alive));
  auto id = definition_id(ctx, "workflow", errc::not_found, reply);
  if (!id)
    return;
  auto input = json_body(req, reply, json::object());
  if (!input)
    return;
  ask_flow(
      admin_, handles_, version, keep_alive, reply,
      [reply, version, keep_alive](std::string task_id) {
        reply(json_response(202, json{{"task_id", task_id}}.dump(), version,
                            keep_alive));
      },
      automation::run_atom_v, *id, input->dump());
}

// -- tasks --------------------------------------------------------------------

void automation_api::tasks(http::request_context& ctx,
                           const runtime::identity& who, http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "/api/v1/tasks takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  if (auto err =
          http::check_known_params(ctx.query, {"state", "workflow", "limit"}))
    return reply(error_response(err, version, keep_alive));
  std::optional<flow::task_state> state;
  if (auto s = ctx.query.find("state")) {
    state = flow::parse_task_state(*s);
    if (!state)
      return reply(
          error_response(errc::invalid_parameter,
                         "state is running, succeeded, failed or cancelled",
                         "state", version, keep_alive));
  }
  std::string workflow;
  if (auto w = ctx.query.find("workflow"))
    workflow = *w;
  uint64_t limit = 100;
  if (auto l = ctx.query.find("limit"))
    if (auto err = parse_u64(*l, "limit", 1, max_query_limit, limit))
      return reply(error_response(err, version, keep_alive));
  admin_.list(
      "task/",
      [state, workflow, limit, reply, version,
       keep_alive](std::vector<protocol::definition> defs) {
        std::vector<flow::task_record> recs;
        for (const auto& d : defs) {
          auto r = flow::task_record::parse(d.value);
          if (!r || (state && r->state != *state) ||
              (!workflow.empty() && r->workflow_id != workflow))
            continue;
          recs.push_back(std::move(*r));
        }
        // Newest first.
        std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) {
          return a.started_ns != b.started_ns ? a.started_ns > b.started_ns
                                              : a.id > b.id;
        });
        json list = json::array();
        for (size_t i = 0; i < recs.size() && i < limit; ++i)
          list.push_back(recs[i].to_api());
        reply(json_response(200, json{{"tasks", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void automation_api::task(http::request_context& ctx,
                          const runtime::identity& who, http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "a task takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto id = ctx.params.get("id");
  if (!id || id->size() > 256)
    return reply(error_response(errc::not_found, "no such task", "id", version,
                                keep_alive));
  admin_.read(
      "task/" + *id,
      [id = *id, reply, version,
       keep_alive](std::optional<protocol::definition> d) {
        if (!d)
          return reply(error_response(errc::not_found, "no such task: " + id,
                                      "id", version, keep_alive));
        auto r = flow::task_record::parse(d->value);
        if (!r)
          return reply(error_response(r.error(), version, keep_alive));
        reply(json_response(200, r->to_api().dump(), version, keep_alive));
      },
      version, keep_alive, reply);
}

void automation_api::cancel(http::request_context& ctx,
                            const runtime::identity& who,
                            http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::post)
    return reply(wrong_method(ctx.req, "…/cancel takes POST"));
  if (auto err = need(who, role_publisher))
    return reply(error_response(err, version, keep_alive));
  auto id = ctx.params.get("id");
  if (!id || id->size() > 256 || !handles_.flow)
    return reply(error_response(errc::not_found, "no such task", "id", version,
                                keep_alive));
  ask(
      admin_.sys(), handles_.flow, flow_timeout,
      [this, id = *id, reply, version, keep_alive](bool cancelled) {
        admin_.read(
            "task/" + id,
            [id, cancelled, reply, version,
             keep_alive](std::optional<protocol::definition> d) {
              if (!d)
                return reply(error_response(errc::not_found,
                                            "no such task: " + id, "id",
                                            version, keep_alive));
              auto r = flow::task_record::parse(d->value);
              if (!cancelled && r && r->state != flow::task_state::running)
                return reply(error_response(
                    errc::conflict,
                    "task " + id + " has ended (" +
                        std::string{flow::to_string(r->state)} + ")",
                    "id", version, keep_alive));
              json out{{"task_id", id}, {"cancelled", cancelled}};
              if (r)
                out["state"] = flow::to_string(r->state);
              reply(json_response(200, out.dump(), version, keep_alive));
            },
            version, keep_alive, reply);
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      automation::cancel_atom_v, *id);
}

// -- triggers -----------------------------------------------------------------

void automation_api::triggers(http::request_context& ctx,
                              const runtime::identity& who,
                              http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "/api/v1/triggers takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  admin_.list(
      "trigger/",
      [reply, version, keep_alive](std::vector<protocol::definition> defs) {
        json list = json::array();
        for (const auto& d : defs) {
          auto doc = json::parse(d.value, nullptr, false);
          if (!doc.is_object())
            continue;
          doc["id"] = d.key.substr(8);
          doc["version"] = d.version;
          if (!doc.contains("enabled"))
            doc["enabled"] = true;
          list.push_back(std::move(doc));
        }
        reply(json_response(200, json{{"triggers", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void automation_api::trigger(http::request_context& ctx,
                             const runtime::identity& who,
                             http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto id = definition_id(ctx, "trigger", errc::invalid_id, reply);
  if (!id)
    return;
  const auto key = "trigger/" + *id;
  const auto method = req.method();
  if (method == verb::get) {
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    return admin_.read(
        key,
        [this, id = *id, reply, version,
         keep_alive](std::optional<protocol::definition> d) {
          if (!d)
            return reply(error_response(errc::not_found,
                                        "no such trigger: " + id, "id", version,
                                        keep_alive));
          auto doc = json::parse(d->value, nullptr, false);
          const auto v = d->version;
          ask_flow(
              admin_, handles_, version, keep_alive, reply,
              [id, doc, v, reply, version, keep_alive](std::string text) {
                json out = doc.is_object() ? doc : json::object();
                out["id"] = id;
                out["version"] = v;
                auto st = json::parse(text, nullptr, false);
                if (st.is_object())
                  for (auto& [k, val] : st.items())
                    out[k] = val;
                reply(with_etag(
                    json_response(200, out.dump(), version, keep_alive), v));
              },
              automation::state_atom_v, id);
        },
        version, keep_alive, reply);
  }
  if (method != verb::put && method != verb::delete_)
    return reply(wrong_method(req, "a trigger takes GET, PUT or DELETE"));
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  if (method == verb::delete_)
    return remove(ctx, key, "trigger.deleted", *id, who, std::move(reply));
  auto doc = json_body(req, reply, json{});
  if (!doc)
    return;
  auto def = flow::trigger_def::parse(*id, *doc);
  if (!def)
    return reply(error_response(def.error(), version, keep_alive));
  // The target workflow must exist when the trigger is defined (it may go
  // away later: then a fire fails with 003's "failed to fetch target flow").
  auto text = doc->dump();
  auto kind = std::string{flow::to_string(def->kind())};
  ask(
      admin_.sys(), handles_.flow, flow_timeout,
      [this, ctx, key, id = *id, text, kind, who_name = who.name, reply,
       version, keep_alive](std::string&) {
        with_precondition(
            ctx, key, reply,
            [this, key, id, text, kind, who_name, reply, version,
             keep_alive](std::optional<uint64_t> want) {
              std::vector<v1::Event> evs;
              evs.push_back(runtime::make_system_event(
                  "trigger.updated",
                  {{"id", id}, {"type", kind}, {"by", who_name}},
                  runtime::now_unix_ns()));
              commit(key, text, want, std::move(evs), version, keep_alive,
                     reply, [id, text, reply, version, keep_alive](uint64_t v) {
                       auto out = json::parse(text);
                       out["id"] = id;
                       out["version"] = v;
                       reply(with_etag(json_response(v == 1 ? 201 : 200,
                                                     out.dump(), version,
                                                     keep_alive),
                                       v));
                     });
            });
      },
      [wf = def->workflow(), reply, version, keep_alive](caf::error& err) {
        auto e = runtime::describe(err);
        if (e.code == errc::not_found)
          return reply(error_response(errc::invalid_field,
                                      "no such workflow: " + wf, "/workflow",
                                      version, keep_alive));
        reply(error_response(e, version, keep_alive));
      },
      automation::get_atom_v, def->workflow());
}

void automation_api::trigger_action(http::request_context& ctx,
                                    const runtime::identity& who,
                                    std::string_view action,
                                    http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::post)
    return reply(
        wrong_method(ctx.req, "…/" + std::string{action} + " takes POST"));
  auto id = definition_id(ctx, "trigger", errc::not_found, reply);
  if (!id)
    return;
  if (action == "fire") {
    if (auto err = need(who, role_publisher))
      return reply(error_response(err, version, keep_alive));
    return ask_flow(
        admin_, handles_, version, keep_alive, reply,
        [reply, version, keep_alive](std::string task_id) {
          reply(json_response(202, json{{"task_id", task_id}}.dump(), version,
                              keep_alive));
        },
        automation::fire_atom_v, *id);
  }
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  const bool on = action == "enable";
  const auto key = "trigger/" + *id;
  admin_.read(
      key,
      [this, key, id = *id, on, who_name = who.name, reply, version,
       keep_alive](std::optional<protocol::definition> d) {
        if (!d)
          return reply(error_response(errc::not_found, "no such trigger: " + id,
                                      "id", version, keep_alive));
        auto doc = json::parse(d->value, nullptr, false);
        if (!doc.is_object())
          return reply(error_response(errc::internal,
                                      "stored trigger is not an object", "",
                                      version, keep_alive));
        doc["enabled"] = on;
        std::vector<v1::Event> evs;
        evs.push_back(runtime::make_system_event(
            on ? "trigger.enabled" : "trigger.disabled_by_user",
            {{"id", id}, {"by", who_name}}, runtime::now_unix_ns()));
        commit(key, doc.dump(), d->version, std::move(evs), version, keep_alive,
               reply, [this, id, reply, version, keep_alive](uint64_t) {
                 ask_flow(
                     admin_, handles_, version, keep_alive, reply,
                     [id, reply, version, keep_alive](std::string text) {
                       auto st = json::parse(text, nullptr, false);
                       if (st.is_object())
                         st["id"] = id;
                       reply(
                           json_response(200, st.dump(), version, keep_alive));
                     },
                     automation::state_atom_v, id);
               });
      },
      version, keep_alive, reply);
}

void automation_api::preview(http::request_context& ctx,
                             const runtime::identity& who,
                             http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "…/preview takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  if (auto err = http::check_known_params(ctx.query, {"n", "from"}))
    return reply(error_response(err, version, keep_alive));
  uint64_t n = 10;
  if (auto s = ctx.query.find("n"))
    if (auto err = parse_u64(*s, "n", 1, 1000, n))
      return reply(error_response(err, version, keep_alive));
  int64_t from = runtime::now_unix_ns();
  if (auto s = ctx.query.find("from")) {
    auto t = runtime::parse_rfc3339(*s);
    if (!t)
      return reply(error_response(errc::invalid_time,
                                  "from is an RFC 3339 time", "from", version,
                                  keep_alive));
    from = *t;
  }
  auto id = definition_id(ctx, "trigger", errc::not_found, reply);
  if (!id)
    return;
  admin_.read(
      "trigger/" + *id,
      [id = *id, n, from, reply, version,
       keep_alive](std::optional<protocol::definition> d) {
        if (!d)
          return reply(error_response(errc::not_found, "no such trigger: " + id,
                                      "id", version, keep_alive));
        auto def =
            flow::trigger_def::parse(id, json::parse(d->value, nullptr, false));
        if (!def)
          return reply(error_response(def.error(), version, keep_alive));
        if (!def->when())
          return reply(error_response(errc::invalid_parameter,
                                      "only schedule triggers have fires to "
                                      "preview",
                                      "id", version, keep_alive));
        json fires = json::array();
        for (auto t : def->when()->preview(from, n))
          fires.push_back(runtime::format_rfc3339(t));
        reply(json_response(200, json{{"fires", fires}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void automation_api::pattern_test(http::request_context& ctx,
                                  const runtime::identity& who,
                                  http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::post)
    return reply(wrong_method(ctx.req, "/api/v1/patterns/test takes POST"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto body = object_body(ctx.req, {"pattern", "filter", "event"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  auto& b = *body;
  std::optional<std::string> pattern;
  if (auto p = b.find("pattern"); p != b.end()) {
    if (!p->is_string())
      return reply(error_response(errc::invalid_pattern,
                                  "pattern is a name pattern string",
                                  "/pattern", version, keep_alive));
    if (auto err = runtime::validate_pattern(p->get_ref<const std::string&>(),
                                             "/pattern"))
      return reply(error_response(err, version, keep_alive));
    pattern = p->get<std::string>();
  }
  std::optional<runtime::content_filter> filter;
  if (auto f = b.find("filter"); f != b.end()) {
    if (!f->is_object())
      return reply(error_response(errc::invalid_filter,
                                  "filter is a JSON object", "/filter", version,
                                  keep_alive));
    auto parsed = runtime::content_filter::parse(*f, "/filter");
    if (!parsed)
      return reply(error_response(parsed.error(), version, keep_alive));
    filter = std::move(*parsed);
  }
  auto e = b.find("event");
  if (e == b.end() || !e->is_object())
    return reply(error_response(errc::missing_field,
                                "event (an event object) is required", "/event",
                                version, keep_alive));
  auto ev = runtime::decode_event_object(
      *e, "/event", runtime::publish_limits{}, runtime::now_unix_ns());
  if (!ev)
    return reply(error_response(ev.error(), version, keep_alive));
  bool match = true;
  if (pattern)
    match = runtime::pattern_matches(*pattern, ev->name());
  if (match && filter)
    match = filter->matches(*ev);
  reply(json_response(200, json{{"match", match}}.dump(), version, keep_alive));
}

} // namespace herald::api
