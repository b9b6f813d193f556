#include "tools/api/scopes_api.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "actors/reader_actor.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/publish_path.hpp"
#include "tools/api/query_params.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using runtime::errc;
using verb = boost::beast::http::verb;

constexpr std::string_view scopes_path = "/api/v1/scopes";

/// {"parent","scopes":[…],"next"?,"partial"?,"missing"?}
std::string level_body(const std::string& parent, const scope_level& level,
                       const std::vector<std::string>& missing) {
  nlohmann::json out{{"parent", parent}, {"scopes", level.scopes}};
  if (!level.next.empty())
    out["next"] = level.next;
  if (!missing.empty()) {
    out["partial"] = true;
    out["missing"] = missing;
  }
  return out.dump();
}

/// A node's 200 body as a level; nullopt when it is not one.
std::optional<scope_level> parse_level(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  auto scopes = j.find("scopes");
  if (scopes == j.end() || !scopes->is_array())
    return std::nullopt;
  scope_level out;
  for (auto& s : *scopes) {
    if (!s.is_string())
      return std::nullopt;
    out.scopes.push_back(s.get<std::string>());
  }
  if (auto next = j.find("next"); next != j.end()) {
    if (!next->is_string())
      return std::nullopt;
    out.next = next->get<std::string>();
  }
  return out;
}

} // namespace

scope_level merge_scope_levels(const std::vector<scope_level>& parts,
                               size_t limit) {
  std::vector<std::string> all;
  std::optional<std::string> cutoff;
  for (const auto& p : parts) {
    all.insert(all.end(), p.scopes.begin(), p.scopes.end());
    if (!p.next.empty() && (!cutoff || p.next < *cutoff))
      cutoff = p.next;
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (cutoff) // nothing past what every node has examined
    all.erase(std::upper_bound(all.begin(), all.end(), *cutoff), all.end());
  scope_level out;
  if (limit > 0 && all.size() > limit) {
    all.resize(limit);
    cutoff = all.back();
  }
  out.scopes = std::move(all);
  if (cutoff)
    out.next = *cutoff;
  return out;
}

void scopes_api::add_routes(routes& table) {
  table.add(
      {{verb::get},
       std::string{scopes_path},
       std::string{role_reader},
       [this](http::request_context& ctx, const caller* from,
              http::reply_fn reply) { list(ctx, *from, std::move(reply)); },
       "reading events needs the reader role"});
}

void scopes_api::list(http::request_context& ctx, const caller& from,
                      http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto parsed = parse_scope_level_request(ctx.query);
  if (!parsed)
    return reply(error_response(parsed.error(), version, keep_alive));
  std::string parent = std::move(parsed->parent);
  std::string after = std::move(parsed->after);
  const uint64_t limit = parsed->limit;
  auto cluster = is_local_only(ctx.req) ? nullptr : cluster_;
  std::string target;
  if (cluster) {
    target = std::string{scopes_path} + "?limit=" + std::to_string(limit);
    if (!parent.empty())
      target += "&parent=" + percent_encode(parent);
    if (!after.empty())
      target += "&after=" + percent_encode(after);
  }
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive, parent, limit, cluster,
       target = std::move(target),
       credential = ctx.credential](actors::scope_listing& mine) {
        scope_level own{std::move(mine.scopes), std::move(mine.next)};
        if (!cluster)
          return reply(json_response(200, level_body(parent, own, {}), version,
                                     keep_alive));
        cluster->gather(
            target, credential,
            [reply, version, keep_alive, parent, limit,
             own = std::move(own)](cluster_gather g) mutable {
              if (g.error)
                return reply(error_response(g.error, version, keep_alive));
              std::vector<scope_level> parts{std::move(own)};
              auto missing = std::move(g.missing);
              for (auto& [node, r] : g.replies) {
                if (r.status == 400 || r.status == 401 || r.status == 403)
                  return reply(relay_refusal(r, version, keep_alive));
                auto level =
                    r.status == 200 ? parse_level(r.body) : std::nullopt;
                if (level)
                  parts.push_back(std::move(*level));
                else
                  missing.push_back(node);
              }
              std::sort(missing.begin(), missing.end());
              reply(json_response(
                  200,
                  level_body(parent, merge_scope_levels(parts, limit), missing),
                  version, keep_alive));
            });
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::scopes_atom_v, parent, after, static_cast<uint32_t>(limit),
      from.who);
}

} // namespace herald::api
