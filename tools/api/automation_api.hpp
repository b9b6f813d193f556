#pragma once

// Workflows, tasks, triggers and pattern tests (DESIGN §5) over the flow
// actor (actors/automation/flow_actor.hpp) and the definition actor:
//
//   GET              /api/v1/workflows                 reader
//   GET|PUT|DELETE   /api/v1/workflows/{id}            reader | admin
//   POST             /api/v1/workflows/{id}/run        publisher
//   GET              /api/v1/tasks?state=&workflow=&limit=   reader
//   GET              /api/v1/tasks/{id}                reader
//   POST             /api/v1/tasks/{id}/cancel         publisher
//   GET              /api/v1/triggers                  reader
//   GET|PUT|DELETE   /api/v1/triggers/{id}             reader | admin
//   POST             /api/v1/triggers/{id}/enable|disable   admin
//   POST             /api/v1/triggers/{id}/fire        publisher
//   GET              /api/v1/triggers/{id}/preview?n=&from=  reader
//   POST             /api/v1/patterns/test             reader
//
// A PUT is validated here (runtime/flow: every error names its field),
// committed through the definition actor with its event
// (workflow.updated, trigger.updated, … ), then applied by the flow actor
// before the reply, so a run or fire right after the reply sees it.

#include "tools/api/admin_context.hpp"
#include "tools/api/automation_handles.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class automation_api {
public:
  /// `handles` (owned by node_api, set before serving) must outlive this.
  automation_api(admin_context& admin, const automation_handles& handles);

  void add_routes(routes& table);

private:
  void workflows(http::request_context& ctx, const runtime::identity& who,
                 http::reply_fn reply);
  void workflow(http::request_context& ctx, const runtime::identity& who,
                http::reply_fn reply);
  void run(http::request_context& ctx, const runtime::identity& who,
           http::reply_fn reply);
  void tasks(http::request_context& ctx, const runtime::identity& who,
             http::reply_fn reply);
  void task(http::request_context& ctx, const runtime::identity& who,
            http::reply_fn reply);
  void cancel(http::request_context& ctx, const runtime::identity& who,
              http::reply_fn reply);
  void triggers(http::request_context& ctx, const runtime::identity& who,
                http::reply_fn reply);
  void trigger(http::request_context& ctx, const runtime::identity& who,
               http::reply_fn reply);
  void trigger_action(http::request_context& ctx, const runtime::identity& who,
                      std::string_view action, http::reply_fn reply);
  void preview(http::request_context& ctx, const runtime::identity& who,
               http::reply_fn reply);
  void pattern_test(http::request_context& ctx, const runtime::identity& who,
                    http::reply_fn reply);
  /// The request's If-Match / If-None-Match as the version to expect
  /// (nullopt: none; 0: must not exist), `If-Match: *` resolved to the
  /// current version (409 when there is none), then `then`.
  void with_precondition(const http::request_context& ctx,
                         const std::string& key, const http::reply_fn& reply,
                         std::function<void(std::optional<uint64_t>)> then);
  /// DELETE of definition `key` (precondition honoured) with its event.
  void remove(const http::request_context& ctx, const std::string& key,
              std::string event_name, const std::string& id,
              const runtime::identity& who, http::reply_fn reply);
  /// Commits `key` = `value` (nullopt: delete) with `evs`, applies it at
  /// the flow actor, then calls `on_ok(version)`.
  void commit(std::string key, std::optional<std::string> value,
              std::optional<uint64_t> expect, std::vector<v1::Event> evs,
              unsigned version, bool keep_alive, http::reply_fn reply,
              std::function<void(uint64_t)> on_ok);

  admin_context& admin_;
  const automation_handles& handles_;
};

} // namespace herald::api
