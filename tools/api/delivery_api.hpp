#pragma once

// Topics, subscriptions and their dead letters (DESIGN §4, seeds 002 and
// 004), over the definition actor (definitions and their events) and the
// delivery actor (actors/delivery/delivery_actor.hpp: run-time state):
//
//   GET              /api/v1/topics                          reader
//   GET|PUT|DELETE   /api/v1/topics/{id}                     reader | admin
//   GET              /api/v1/subscriptions                   reader (own;
//   admin: all) GET|PUT|DELETE   /api/v1/subscriptions/{id} reader, creator or
//   admin POST /api/v1/subscriptions/{id}/pause|resume|rotate-secret GET
//   /api/v1/subscriptions/{id}/dead-letters?limit=&after= POST
//   /api/v1/subscriptions/{id}/dead-letters/redrive DELETE
//   /api/v1/subscriptions/{id}/dead-letters/{event_id} GET|PUT
//   /api/v1/events/subscriptions/project/{project}/  (004)
//
// A PUT is validated here (runtime/flow/subscription.hpp: every error
// names its field), committed through the definition actor with its event
// (topic.updated, subscription.updated, …), then applied by the delivery
// actor before the reply. A subscription someone else created is not
// found for a reader (404); admins see and change every one.

#include "tools/api/actor_bridge.hpp"
#include "tools/api/admin_context.hpp"
#include "tools/api/cluster_reads.hpp"
#include "tools/api/delivery_handles.hpp"
#include "tools/api/types.hpp"

namespace herald::flow {
class subscription_def;
} // namespace herald::flow

namespace herald::api {

class delivery_api {
public:
  /// `handles` (owned by node_api, set before serving) must outlive this.
  delivery_api(admin_context& admin, const delivery_handles& handles);

  /// A node of a cluster: GET /api/v1/subscriptions/{id} also shows every
  /// other node's part of the deliveries ("nodes"). Call before serving.
  void set_cluster(std::shared_ptr<cluster_reads> cluster) {
    cluster_ = std::move(cluster);
  }

  void add_routes(routes& table);

private:
  using who_t = runtime::identity;
  void topics(http::request_context& ctx, const who_t& who,
              http::reply_fn reply);
  void topic(http::request_context& ctx, const who_t& who,
             http::reply_fn reply);
  void subscriptions(http::request_context& ctx, const who_t& who,
                     http::reply_fn reply);
  void subscription(http::request_context& ctx, const who_t& who,
                    http::reply_fn reply);
  void put_subscription(http::request_context& ctx, const who_t& who,
                        std::string id, http::reply_fn reply);
  void action(http::request_context& ctx, const who_t& who,
              std::string_view what, http::reply_fn reply);
  void rotate(const std::string& id, const flow::subscription_def& def,
              uint64_t def_version, const who_t& who, unsigned version,
              bool keep_alive, http::reply_fn reply);
  void dead_letters(http::request_context& ctx, const who_t& who,
                    http::reply_fn reply);
  void redrive(http::request_context& ctx, const who_t& who,
               http::reply_fn reply);
  void dead_letter(http::request_context& ctx, const who_t& who,
                   http::reply_fn reply);
  // seed 004 (delivery_api_004.cpp)
  void project(http::request_context& ctx, const who_t& who,
               http::reply_fn reply);
  void put_project(std::string project, nlohmann::json body, const who_t& who,
                   unsigned version, bool keep_alive, http::reply_fn reply);

  /// Reads subscription `id` and checks that `who` may manage it (404
  /// otherwise), then `then(def, version)`.
  void
  with_subscription(const std::string& id, const who_t& who, unsigned version,
                    bool keep_alive, const http::reply_fn& reply,
                    std::function<void(flow::subscription_def, uint64_t)> then);
  /// Commits `key` = `value` (nullopt: delete) with `evs`, applies it at
  /// the delivery actor, then calls `on_ok(version)`.
  void commit(std::string key, std::optional<std::string> value,
              std::optional<uint64_t> expect, std::vector<v1::Event> evs,
              unsigned version, bool keep_alive, http::reply_fn reply,
              std::function<void(uint64_t)> on_ok);

  /// Asks the delivery actor; its errors (and its absence) are the reply.
  template <class OnOk, class... Ts>
  void ask_delivery(unsigned version, bool keep_alive, http::reply_fn reply,
                    OnOk on_ok, Ts... xs) const {
    ask_or_reply(admin_.sys(), handles_.delivery,
                 "delivery is not running on this node",
                 std::chrono::milliseconds{30000}, version, keep_alive,
                 std::move(reply), std::move(on_ok), std::move(xs)...);
  }

  admin_context& admin_;
  const delivery_handles& handles_;
  std::shared_ptr<cluster_reads> cluster_;
};

} // namespace herald::api
