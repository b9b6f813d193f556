#pragma once

// The route table: `{methods, path pattern, role, handler}` entries, and the
// order in which a request meets them (DESIGN §7):
//
//   parse the target ─ 400 ───────────────────────────────┐
//   trim one trailing '/'                                  │
//   match the path (route_matcher)                         │
//   public route, or a public path with another method? ───┼─▶ its handler
//   credential (credentials.hpp) → authenticator ─ 401 ───┤    (or 405)
//   after_authentication hook                              │
//   no pattern ─ 404     no route for the method ─ 405     │
//   role ─ 403 ────────────────────────────────────────────┴─▶ the handler
//
// Without a valid credential a request learns nothing about the API: an
// unknown path is 401 too (no probing). What a role means is the API's:
// the table only asks the `may` callback. WebSocket upgrades have routes of
// their own (no methods: an upgrade is a GET) and meet the same steps; their
// refusals go through the `refuse` function the caller supplies.
//
// Thread-safety: add routes before serving; dispatch() and
// dispatch_upgrade() are const and run concurrently on the io threads.
// Handlers are called on the dispatching thread and must not block.

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <caf/expected.hpp>

#include "runtime/errc.hpp"
#include "tools/http/credentials.hpp"
#include "tools/http/http_util.hpp"
#include "tools/http/route_matcher.hpp"

namespace herald::http {

/// The `role` of a route anyone may call, without a credential.
inline constexpr std::string_view public_route = "";
/// The `role` of a route any valid credential may call (`may` is not
/// asked): for handlers that check roles per method themselves.
inline constexpr std::string_view any_caller = "*";

/// One request as a handler sees it.
struct request_context {
  http_request req;
  /// The path, still percent-encoded, one trailing '/' removed.
  std::string path;
  query_string query;
  /// What the route's pattern captured.
  path_params params;
  std::string remote_ip;
  /// The credential it carried (see extract_credential); "" on public
  /// routes and when it carried none.
  std::string credential;

  unsigned version() const { return req.version(); }
  bool keep_alive() const { return req.keep_alive(); }
  /// An error reply to this request (DESIGN §7).
  http_response error(const caf::error& err) const {
    return error_response(err, version(), keep_alive());
  }
};

using reply_fn = std::function<void(http_response)>;
/// Answers a refused WebSocket upgrade on its connection and closes it.
using refuse_fn = std::function<void(boost::beast::tcp_stream, http_response)>;

template <class Principal>
class route_table {
public:
  using verb = boost::beast::http::verb;
  /// Answers a request, calling `reply` exactly once (from any thread).
  /// `who` is null on public routes.
  using handler_fn =
      std::function<void(request_context&, const Principal* who, reply_fn)>;
  /// Takes over the connection of a WebSocket upgrade: accepts it or
  /// refuses it (through the caller's refuse function).
  using upgrade_fn = std::function<void(request_context&, const Principal* who,
                                        boost::beast::tcp_stream)>;
  /// A credential (as extract_credential found it, "" for none) → who it
  /// is. An error is the reply as is, with `WWW-Authenticate: Bearer`.
  using authenticate_fn =
      std::function<caf::expected<Principal>(const std::string& credential)>;
  /// May `who` call a route that needs `role`?
  using may_fn = std::function<bool(const Principal&, std::string_view role)>;
  /// Sees every authenticated request before it is routed, and may wrap its
  /// reply (to count what the checks after it answer, say).
  using observe_fn = std::function<void(const request_context&, reply_fn&)>;

  struct route {
    /// The methods it takes; empty: every method (the handler answers 405).
    std::vector<verb> methods;
    /// See route_matcher: `/api/v1/users/{name}`.
    std::string pattern;
    /// public_route, any_caller, or a role `may` is asked about.
    std::string role;
    handler_fn handler;
    /// The 403 message; default "this needs the <role> role".
    std::string denied = {};
  };

  struct upgrade_route {
    std::string pattern;
    std::string role;
    upgrade_fn handler;
    std::string denied = {};
  };

  /// `authenticate` and `may` are the API's: who a credential is, and
  /// whether that caller may act in a role. Both are called on io threads,
  /// concurrently, and must not block.
  route_table(authenticate_fn authenticate, may_fn may)
      : authenticate_(std::move(authenticate)), may_(std::move(may)) {}

  /// Adds a route; throws std::invalid_argument for a malformed pattern or
  /// a method taken twice (see route_matcher::add).
  void add(route r) {
    if (!r.handler)
      throw std::invalid_argument("a route needs a handler: " + r.pattern);
    plain_.add(r.pattern, r.methods);
    routes_.push_back(std::move(r));
  }

  /// Adds a WebSocket route; as add().
  void add_upgrade(upgrade_route r) {
    if (!r.handler)
      throw std::invalid_argument("a route needs a handler: " + r.pattern);
    upgrades_.add(r.pattern, {});
    upgrade_routes_.push_back(std::move(r));
  }

  /// Sets the observer of authenticated requests (see observe_fn); before
  /// serving.
  void after_authentication(observe_fn fn) { observe_ = std::move(fn); }

  /// Routes one request (see the diagram above).
  void dispatch(http_request req, std::string remote_ip, reply_fn reply) const {
    request_context ctx;
    ctx.req = std::move(req);
    ctx.remote_ip = std::move(remote_ip);
    if (auto err = parse(ctx))
      return reply(ctx.error(err));
    const auto method = ctx.req.method();
    auto m = plain_.find(method, ctx.path);
    ctx.params = std::move(m.params);
    const route* r = m.route ? &routes_[*m.route] : nullptr;
    if (r ? r->role.empty() : m.pattern && has_public_route(*m.pattern)) {
      if (!r)
        return reply(not_allowed(ctx));
      return r->handler(ctx, nullptr, std::move(reply));
    }
    auto who = authenticate(
        ctx, extract_credential(ctx.req, ctx.query, /*upgrade=*/false));
    if (!who)
      return reply(unauthorized(ctx, who.error()));
    if (observe_)
      observe_(ctx, reply);
    if (!m.pattern)
      return reply(ctx.error(runtime::make_api_error(
          runtime::errc::not_found, "no such endpoint: " + ctx.path)));
    if (!r)
      return reply(not_allowed(ctx));
    if (auto err = check_role(*who, r->role, r->denied))
      return reply(ctx.error(err));
    r->handler(ctx, &*who, std::move(reply));
  }

  /// Routes one WebSocket upgrade; refusals (keep-alive off) go through
  /// `refuse`.
  void dispatch_upgrade(http_request req, boost::beast::tcp_stream stream,
                        std::string remote_ip, const refuse_fn& refuse) const {
    request_context ctx;
    ctx.req = std::move(req);
    ctx.remote_ip = std::move(remote_ip);
    auto refuse_with = [&](http_response res) {
      res.keep_alive(false);
      refuse(std::move(stream), std::move(res));
    };
    if (auto err = parse(ctx))
      return refuse_with(ctx.error(err));
    // An upgrade's credential may come as access_token=, taken out of the
    // query here whoever the route is.
    auto credential = extract_credential(ctx.req, ctx.query, /*upgrade=*/true);
    auto m = upgrades_.find(ctx.req.method(), ctx.path);
    ctx.params = std::move(m.params);
    const upgrade_route* r = m.route ? &upgrade_routes_[*m.route] : nullptr;
    if (r && r->role.empty())
      return r->handler(ctx, nullptr, std::move(stream));
    auto who = authenticate(ctx, std::move(credential));
    if (!who)
      return refuse_with(unauthorized(ctx, who.error()));
    if (!r)
      return refuse_with(ctx.error(runtime::make_api_error(
          runtime::errc::not_found, "no WebSocket endpoint at " + ctx.path)));
    if (auto err = check_role(*who, r->role, r->denied))
      return refuse_with(ctx.error(err));
    r->handler(ctx, &*who, std::move(stream));
  }

private:
  static caf::error parse(request_context& ctx) {
    const auto target = ctx.req.target();
    if (auto err = parse_target(std::string_view{target.data(), target.size()},
                                ctx.path, ctx.query))
      return err;
    if (ctx.path.size() > 1 && ctx.path.back() == '/')
      ctx.path.pop_back();
    return {};
  }

  bool has_public_route(size_t pattern) const {
    for (auto id : plain_.routes_of(pattern))
      if (routes_[id].role.empty())
        return true;
    return false;
  }

  caf::expected<Principal>
  authenticate(request_context& ctx,
               caf::expected<std::string> credential) const {
    if (!credential)
      return std::move(credential.error());
    ctx.credential = std::move(*credential);
    return authenticate_(ctx.credential);
  }

  caf::error check_role(const Principal& who, const std::string& role,
                        const std::string& denied) const {
    if (role == any_caller || may_(who, role))
      return {};
    return runtime::make_api_error(
        runtime::errc::forbidden,
        denied.empty() ? "this needs the " + role + " role" : denied);
  }

  static http_response unauthorized(const request_context& ctx,
                                    const caf::error& err) {
    auto res = ctx.error(err);
    res.set(boost::beast::http::field::www_authenticate, "Bearer");
    return res;
  }

  static http_response not_allowed(const request_context& ctx) {
    return ctx.error(
        runtime::make_api_error(runtime::errc::method_not_allowed,
                                std::string{ctx.req.method_string()} +
                                    " is not allowed on " + ctx.path));
  }

  authenticate_fn authenticate_;
  may_fn may_;
  observe_fn observe_;
  route_matcher plain_;
  std::vector<route> routes_;
  route_matcher upgrades_;
  std::vector<upgrade_route> upgrade_routes_;
};

} // namespace herald::http
