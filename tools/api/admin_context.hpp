#pragma once

// What the endpoints around the event API share (DESIGN §4, §6: auth_api,
// users_api, tokens_api, sources_api, config_api): the definition actor to
// read and change definitions through, the writer for auth records,
// auth_service, the node's open streams, and a small pool for password
// hashing.
//
// Every change is a definition committed by the definition actor together
// with the system event announcing it, so a change and its event are stored
// together or not at all, and auth_service (a view of the definitions) has
// the change before the reply.
//
// Thread-safety: every member may be called from any thread; password
// hashing runs on the pool (argon2id must not stall io).

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <caf/actor_system.hpp>
#include <nlohmann/json.hpp>

#include "actors/node.hpp"
#include "runtime/identity.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {

class stream_registry;

class admin_context {
public:
  /// `streams` (outliving this) are the node's open streams: a revoked
  /// token, a deleted user, a password change or a lost reader role ends
  /// the streams of that credential; a change of groups or roles reaches
  /// them before the change is answered.
  admin_context(caf::actor_system& sys, actors::node_handles handles,
                std::shared_ptr<auth_service> auth, stream_registry& streams);
  /// Waits for the hashing pool's work to end (join()).
  ~admin_context();

  /// Waits for the hashing pool's work to end. Call it before anything the
  /// offloaded work uses goes away; later offloads run nowhere.
  void join() { hash_pool_.join(); }

  admin_context(const admin_context&) = delete;
  admin_context& operator=(const admin_context&) = delete;

  /// What the resources reach through it (all outlive it).
  caf::actor_system& sys() const noexcept { return sys_; }
  const actors::node_handles& handles() const noexcept { return handles_; }
  const std::shared_ptr<auth_service>& auth() const noexcept { return auth_; }
  stream_registry& streams() const noexcept { return streams_; }

  /// Commits a definition change with its events through the definition
  /// actor; calls on_ok(version) once it is committed and every view has it,
  /// or calls `on_failure` (if set; e.g. to end streams of a credential a
  /// view dropped) and replies the error (a failed precondition names
  /// `precondition_header`).
  void define(protocol::definition_change change, std::vector<v1::Event> events,
              unsigned version, bool keep_alive, http::reply_fn reply,
              std::function<void(uint64_t)> on_ok,
              std::string precondition_header = "If-Match",
              std::function<void()> on_failure = {});
  /// The definition under `key` (nullopt when there is none) to `on_ok`,
  /// or the error replied.
  void read(std::string key,
            std::function<void(std::optional<protocol::definition>)> on_ok,
            unsigned version, bool keep_alive, http::reply_fn reply);
  /// Every definition under `prefix`, in key order, or the error replied.
  void list(std::string prefix,
            std::function<void(std::vector<protocol::definition>)> on_ok,
            unsigned version, bool keep_alive, http::reply_fn reply);
  /// Every source the store knows, by id, or the error replied.
  void sources(std::function<void(std::vector<protocol::source_info>)> on_ok,
               unsigned version, bool keep_alive, http::reply_fn reply);
  /// Stores `ev`; calls `then(error)` once it is durable or failed.
  void record(v1::Event ev, std::function<void(caf::error)> then);
  /// Runs `work` on the hashing pool; false (and a 503) when it is full.
  bool offload(std::function<void()> work, unsigned version, bool keep_alive,
               const http::reply_fn& reply);

private:
  caf::actor_system& sys_;
  actors::node_handles handles_;
  std::shared_ptr<auth_service> auth_;
  stream_registry& streams_;
  boost::asio::thread_pool hash_pool_{1};
  std::atomic<int> hashing_{0};
};

// -- helpers of the admin endpoints -----------------------------------------

/// The body as a JSON object whose members are all in `allowed`.
caf::expected<nlohmann::json>
object_body(const http::http_request& req,
            std::initializer_list<std::string_view> allowed);

/// forbidden ("this needs the <role> role") unless `who` may act as `role`.
caf::error need(const runtime::identity& who, std::string_view role);

/// 405 for a path that exists; `what` says which methods it takes.
http::http_response wrong_method(const http::http_request& req,
                                 std::string what);

/// `res` with `ETag: "<version>"` (definitions' versions, DESIGN §7).
http::http_response with_etag(http::http_response res, uint64_t version);

/// 204 without a body.
http::http_response no_content(unsigned version, bool keep_alive);

/// A system event about access control: for admins only (it carries user
/// names and addresses).
v1::Event audit_event(std::string name, const nlohmann::json& data);

} // namespace herald::api
