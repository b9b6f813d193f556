#include "tools/api/node_api.hpp"

#include "runtime/time_format.hpp"

namespace herald::api {

namespace {

using runtime::errc;
using verb = boost::beast::http::verb;

} // namespace

node_api::node_api(caf::actor_system& sys, actors::node_handles handles,
                   const api_options& opts, std::shared_ptr<auth_service> auth)
    : auth_(auth),
      routes_(
          [auth](const std::string& credential) {
            return auth->resolve(credential,
                                 runtime::now_unix_ns() / 1'000'000'000);
          },
          [](const caller& from, std::string_view role) {
            return from.who.may(role);
          }),
      admin_(sys, handles, auth, streams_), nodes_(sys, state_, tracker_),
      events_(sys, handles, opts, state_, auth, streams_, api_metrics_,
              [this](boost::beast::tcp_stream stream, http::http_response res) {
                refuse(std::move(stream), std::move(res));
              }),
      scopes_(sys, handles), compat_(sys, handles, opts, state_),
      auth_api_(admin_), users_(admin_), tokens_(admin_), sources_(admin_),
      config_(admin_), automation_api_(admin_, automation_),
      delivery_api_(admin_, delivery_), console_(opts.console_files), sys_(sys),
      opts_(opts), readers_(handles.readers) {
  nodes_.add_routes(routes_);
  console_.add_routes(routes_);
  auth_api_.add_routes(routes_);
  events_.add_routes(routes_);
  scopes_.add_routes(routes_);
  compat_.add_routes(routes_);
  metrics_.add_routes(routes_);
  users_.add_routes(routes_);
  tokens_.add_routes(routes_);
  sources_.add_routes(routes_);
  config_.add_routes(routes_);
  automation_api_.add_routes(routes_);
  delivery_api_.add_routes(routes_);
  // Every refused publish counts, whichever check refused it (the table's
  // 404/405/403 included; a 401 does not).
  routes_.after_authentication(
      [metrics = api_metrics_](const http::request_context& ctx,
                               http::reply_fn& reply) {
        if (ctx.req.method() != verb::post ||
            (ctx.path != events_path && !compat004_api::owns(ctx.path)))
          return;
        reply = [metrics, reply](http::http_response res) {
          metrics->count_publish_reply(res);
          reply(std::move(res));
        };
      });
}

void node_api::set_automation(automation_handles handles) {
  automation_ = handles;
  listeners_ = std::make_unique<listeners_api>(
      sys_, std::move(handles), opts_, state_,
      [this](boost::beast::tcp_stream stream, http::http_response res) {
        refuse(std::move(stream), std::move(res));
      });
  listeners_->add_routes(routes_);
}

void node_api::set_cluster(cluster_reads_options opts) {
  cluster_ = std::make_shared<cluster_reads>(sys_, readers_, std::move(opts));
  events_.set_cluster(cluster_);
  scopes_.set_cluster(cluster_);
  compat_.set_cluster(cluster_);
  delivery_api_.set_cluster(cluster_);
}

node_api::~node_api() {
  admin_.join();
}

bool node_api::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock guard{idle_mtx_};
  return idle_cv_.wait_until(guard, deadline,
                             [this] { return in_flight_ == 0; });
}

void node_api::count_refusal(const http::http_response& res) {
  if (res.result_int() == 401)
    api_metrics_->count_auth_refusal(errc::unauthorized);
  else if (res.result_int() == 403)
    api_metrics_->count_auth_refusal(errc::forbidden);
}

void node_api::refuse(boost::beast::tcp_stream stream,
                      http::http_response res) {
  count_refusal(res);
  http::refuse_upgrade(std::move(stream), std::move(res));
}

void node_api::handle(http::http_request req, const std::string& remote_ip,
                      reply_fn done) {
  {
    std::lock_guard guard{idle_mtx_};
    ++in_flight_;
  }
  // Every path calls reply exactly once; the count lets shutdown wait for
  // in-flight requests.
  reply_fn reply = [this, done = std::move(done)](http::http_response res) {
    count_refusal(res);
    done(std::move(res));
    std::lock_guard guard{idle_mtx_};
    if (--in_flight_ == 0)
      idle_cv_.notify_all();
  };
  routes_.dispatch(std::move(req), remote_ip, std::move(reply));
}

void node_api::upgrade(http::http_request req, boost::beast::tcp_stream stream,
                       const std::string& remote_ip) {
  routes_.dispatch_upgrade(
      std::move(req), std::move(stream), remote_ip,
      [this](boost::beast::tcp_stream s, http::http_response res) {
        refuse(std::move(s), std::move(res));
      });
}

} // namespace herald::api
