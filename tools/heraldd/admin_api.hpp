#pragma once

// The endpoints around the event API (DESIGN §4, §6): login and renew,
// users, service tokens, sources and the config service. Role checks are
// made here, per endpoint; node_api has authenticated the caller already
// (except for login and renew, which take their own credentials).
//
// Every change is a definition committed through the writer together with
// the system event announcing it (storage::event_store::commit_definition),
// so a change and its event are stored together or not at all.
//
// Thread-safety: handlers run concurrently on the io threads; password
// hashing runs on a small worker pool (argon2id must not stall io).

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/thread_pool.hpp>
#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "runtime/identity.hpp"
#include "tools/heraldd/auth_service.hpp"
#include "tools/http/http_server.hpp"
#include "tools/http/http_util.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::heraldd {

// Until these files move to tools/api (issue 9).
using namespace herald::http;

class stream_registry;

class admin_api {
public:
  using reply_fn = http_router::reply_fn;

  /// `streams` (outliving this) are the node's open streams: a revoked
  /// token, a deleted user, a password change or a lost reader role ends
  /// the streams of that credential; a change of groups or roles reaches
  /// them before the change is answered.
  admin_api(caf::actor_system& sys, actors::node_handles handles,
            std::shared_ptr<storage::event_store> store,
            std::shared_ptr<auth_service> auth, stream_registry& streams);
  ~admin_api();

  /// Paths that need no bearer token (they check their own credential).
  static bool is_login_path(std::string_view path);
  /// Paths handle() answers.
  static bool owns(std::string_view path);

  /// POST /api/v1/auth/login and /api/v1/auth/renew.
  void login_or_renew(const http_request& req, std::string_view path,
                      const std::string& ip, reply_fn reply);

  /// Users, tokens, sources, config, as `who`.
  void handle(const http_request& req, std::string_view path,
              const runtime::identity& who, reply_fn reply);

private:
  void login(const http_request& req, const std::string& ip, reply_fn reply);
  void renew(const http_request& req, const std::string& ip, reply_fn reply);
  void users(const http_request& req, std::string_view rest,
             const runtime::identity& who, reply_fn reply);
  void tokens(const http_request& req, std::string_view rest,
              const runtime::identity& who, reply_fn reply);
  void sources(const http_request& req, std::string_view rest,
               const runtime::identity& who, reply_fn reply);
  void config(const http_request& req, std::string_view rest,
              const runtime::identity& who, reply_fn reply);

  /// Commits a definition change with its events; calls on_ok(version) or
  /// replies the error (a failed precondition names `precondition_header`).
  void define(storage::definition_write change, std::vector<v1::Event> events,
              unsigned version, bool keep_alive, reply_fn reply,
              std::function<void(uint64_t)> on_ok,
              std::string precondition_header = "If-Match");
  /// A failed login or renew: stores auth.error {username, ip, reason},
  /// then replies `err` (401s with WWW-Authenticate).
  void refuse_auth(caf::error err, const std::string& username,
                   const std::string& ip, unsigned version, bool keep_alive,
                   const reply_fn& reply);
  /// A successful login or renew: stores `event` {username, ip, exp}, then
  /// replies the token — or the store's error: no token without its record.
  void hand_out(const char* event, const auth_service::issued& token,
                const std::string& username, const std::string& ip,
                unsigned version, bool keep_alive, const reply_fn& reply);
  /// Stores `ev`; calls `then(error)` once it is durable or failed.
  void record(v1::Event ev, std::function<void(caf::error)> then);
  /// After a committed change of user `name` (or its delete): re-reads it
  /// into memory, ends or updates its open streams (`password_changed`
  /// ends them), then calls `reply_ok` — or replies the refresh's error
  /// (5xx), the streams ended all the same: a change never fails open.
  void user_changed(const std::string& name, bool password_changed,
                    unsigned version, bool keep_alive, const reply_fn& reply,
                    std::function<void()> reply_ok);
  /// Runs `work` on the hashing pool; false (and a 503) when it is full.
  bool offload(std::function<void()> work, unsigned version, bool keep_alive,
               const reply_fn& reply);

  caf::actor_system& sys_;
  actors::node_handles handles_;
  std::shared_ptr<storage::event_store> store_;
  std::shared_ptr<auth_service> auth_;
  stream_registry& streams_;
  boost::asio::thread_pool hash_pool_{1};
  std::atomic<int> hashing_{0};
};

} // namespace herald::heraldd
