#include "tools/api/cluster_reads.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/errc.hpp"
#include "runtime/native_event_reader.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/publish_path.hpp"

namespace herald::api {

namespace {

using headers = http::http_fetcher::headers;

/// Whom a request for every other node goes to: the live members but
/// this node, and the nodes seen down (missing: they cannot answer).
struct other_nodes {
  std::vector<cluster::member> peers;
  std::set<std::string> missing;
};

other_nodes others_of(const std::string& self, const cluster::membership& live,
                      const std::vector<cluster::member>& down) {
  other_nodes out;
  for (const auto& m : down)
    if (m.id != self && !cluster::contains(live, m.id))
      out.missing.insert(m.id);
  for (const auto& m : live.members)
    if (m.id != self)
      out.peers.push_back(m);
  return out;
}

} // namespace

namespace {

headers peer_headers(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential},
          {std::string{fanout_header}, "local"}};
}

/// A peer's reply to its part: its page, or why it is missing.
caf::expected<runtime::node_page> read_peer_page(const std::string& node,
                                                 const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  auto bad = [&](std::string why) {
    return runtime::make_api_error(runtime::errc::unavailable,
                                   "node " + node + ": " + why);
  };
  if (doc.is_discarded() || !doc.is_object())
    return bad("the reply is not a JSON object");
  auto evs = doc.find("events");
  if (evs == doc.end() || !evs->is_array())
    return bad("the reply has no events");
  runtime::node_page page;
  page.node = node;
  for (const auto& e : *evs) {
    auto ev = runtime::read_native_event(e);
    if (!ev)
      return bad("an event does not read back: " +
                 runtime::describe(ev.error()).message);
    page.events.push_back(std::move(*ev));
  }
  if (auto next = doc.find("next"); next != doc.end()) {
    if (!next->is_string() || next->get_ref<const std::string&>().empty())
      return bad("next is not a cursor");
    page.next = next->get<std::string>();
  }
  return page;
}

/// One cluster query in flight: the parts that came back. Guarded by its
/// mutex; the last part to arrive completes it.
struct query_state {
  std::mutex mtx;
  size_t waiting = 0;
  runtime::cluster_cursor from;
  size_t limit = 0;
  std::vector<runtime::node_page> pages;
  std::set<std::string> missing;
  caf::error error;
  std::optional<http::http_fetcher::reply> refusal;
  std::function<void(cluster_page)> done;

  /// Applies `part` under the lock; completes when it was the last one.
  template <class F>
  void arrive(F&& part) {
    {
      std::lock_guard guard{mtx};
      part();
      if (--waiting > 0)
        return;
    }
    complete();
  }

  void complete() {
    cluster_page out;
    out.missing.assign(missing.begin(), missing.end());
    if (error) {
      out.error = std::move(error);
    } else if (refusal) {
      out.refusal = std::move(refusal);
    } else {
      auto m = runtime::merge_pages(from, std::move(pages), limit);
      out.events = std::move(m.events);
      if (m.more)
        out.next = runtime::encode_cluster_cursor(m.next);
    }
    auto cb = std::move(done);
    cb(std::move(out));
  }
};

caf::error membership_unknown(const caf::error& err) {
  return runtime::make_api_error(runtime::errc::unavailable,
                                 "the cluster's membership is not known: " +
                                     runtime::describe(err).message);
}

} // namespace

bool is_local_only(const http::http_request& req) {
  auto it = req.find(std::string{fanout_header});
  return it != req.end() && it->value() == "local";
}

http::http_response relay_refusal(const http::http_fetcher::reply& r,
                                  unsigned version, bool keep_alive) {
  auto res = http::json_response(r.status, r.body, version, keep_alive);
  if (r.status == 401)
    res.set(boost::beast::http::field::www_authenticate, "Bearer");
  return res;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids)
    out += (out.empty() ? "" : ",") + id;
  return out;
}

cluster_reads::cluster_reads(caf::actor_system& sys, caf::actor readers,
                             cluster_reads_options opts)
    : sys_(sys), readers_(std::move(readers)), opts_(std::move(opts)),
      fetcher_(std::make_shared<http::http_fetcher>()) {}

void cluster_reads::query(
    protocol::event_query q, runtime::cluster_cursor from,
    std::vector<std::pair<std::string, std::string>> params,
    runtime::identity who, std::string credential,
    std::function<void(cluster_page)> done) {
  auto on_view = [this, q = std::move(q), from = std::move(from),
                  params = std::move(params), who = std::move(who),
                  credential = std::move(credential),
                  done](cluster::membership& live,
                        std::vector<cluster::member>& down) {
    auto st = std::make_shared<query_state>();
    st->from = from;
    st->limit = q.limit;
    st->done = done;
    auto finished = [&](const std::string& id) {
      auto it = from.nodes.find(id);
      return it != from.nodes.end() && it->second.done;
    };
    std::set<std::string> known{opts_.self};
    std::vector<cluster::member> ask_peers;
    for (const auto& m : live.members) {
      known.insert(m.id);
      if (m.id != opts_.self && !finished(m.id))
        ask_peers.push_back(m);
    }
    // Nodes seen down, and nodes the cursor names that this node does not
    // know (it restarted since): their parts cannot be had.
    for (const auto& m : down)
      if (known.insert(m.id).second && !finished(m.id))
        st->missing.insert(m.id);
    for (const auto& [id, pos] : from.nodes)
      if (!known.contains(id) && !pos.done)
        st->missing.insert(id);
    const bool ask_self = !finished(opts_.self);
    st->waiting = ask_peers.size() + (ask_self ? 1 : 0);
    if (st->waiting == 0)
      return st->complete();

    // The other nodes, in parallel, each within the deadline.
    std::string common;
    for (const auto& [k, v] : params)
      common += percent_encode(k) + "=" + percent_encode(v) + "&";
    common += "limit=" + std::to_string(q.limit) +
              "&order=" + (q.descending ? "desc" : "asc");
    for (const auto& m : ask_peers) {
      std::string target = "/api/v1/events?" + common;
      if (auto it = from.nodes.find(m.id);
          it != from.nodes.end() && !it->second.after.empty())
        target += "&after=" + percent_encode(it->second.after);
      fetcher_->get(
          m.http_address, std::move(target), peer_headers(credential),
          opts_.deadline,
          [st, id = m.id](caf::expected<http::http_fetcher::reply> r) {
            caf::expected<runtime::node_page> page{caf::error{}};
            if (!r) {
              page = std::move(r.error());
            } else if (r->status == 200) {
              page = read_peer_page(id, r->body);
            } else if (r->status == 400 || r->status == 401 ||
                       r->status == 403) {
              return st->arrive([&] { st->refusal = std::move(*r); });
            } else {
              page = runtime::make_api_error(runtime::errc::unavailable,
                                             "node " + id + " answered " +
                                                 std::to_string(r->status));
            }
            if (!page)
              spdlog::warn("cluster query: {} is left out: {}", id,
                           runtime::describe(page.error()).message);
            st->arrive([&] {
              if (page)
                st->pages.push_back(std::move(*page));
              else
                st->missing.insert(id);
            });
          });
    }
    // This node's own part, from its trail.
    if (ask_self) {
      auto own = q;
      if (auto it = from.nodes.find(opts_.self);
          it != from.nodes.end() && !it->second.after.empty())
        own.after = it->second.after;
      else
        own.after.reset();
      ask(
          sys_, readers_, request_timeout,
          [st, self = opts_.self](protocol::query_page& page) {
            st->arrive([&] {
              st->pages.push_back(runtime::node_page{
                  self, std::move(page.events), std::move(page.next)});
            });
          },
          [st](caf::error& err) {
            st->arrive([&] { st->error = std::move(err); });
          },
          actors::query_atom_v, std::move(own), who);
    }
  };
  ask(
      sys_, opts_.tracker, opts_.deadline, std::move(on_view),
      [done](caf::error& err) {
        cluster_page out;
        out.error = membership_unknown(err);
        done(std::move(out));
      },
      cluster::view_atom_v);
}

void cluster_reads::fetch_elsewhere(std::string target, std::string credential,
                                    std::function<void(cluster_fetch)> done) {
  auto on_view =
      [this, target = std::move(target), credential = std::move(credential),
       done](cluster::membership& live, std::vector<cluster::member>& down) {
        struct fetch_state {
          std::mutex mtx;
          size_t waiting = 0;
          std::set<std::string> missing;
          std::function<void(cluster_fetch)> done; // null once answered
        };
        auto st = std::make_shared<fetch_state>();
        st->done = done;
        auto [peers, missing] = others_of(opts_.self, live, down);
        st->missing = std::move(missing);
        if (peers.empty()) {
          cluster_fetch out;
          out.missing.assign(st->missing.begin(), st->missing.end());
          return st->done(std::move(out));
        }
        st->waiting = peers.size();
        for (const auto& m : peers)
          fetcher_->get(
              m.http_address, target, peer_headers(credential), opts_.deadline,
              [st, id = m.id](caf::expected<http::http_fetcher::reply> r) {
                std::function<void(cluster_fetch)> cb;
                cluster_fetch out;
                {
                  std::lock_guard guard{st->mtx};
                  --st->waiting;
                  if (!st->done)
                    return; // another node had it
                  if (r && r->status == 200) {
                    out.found = std::move(*r);
                  } else {
                    if (!r || r->status != 404)
                      st->missing.insert(id);
                    if (st->waiting > 0)
                      return;
                    out.missing.assign(st->missing.begin(), st->missing.end());
                  }
                  cb = std::move(st->done);
                  st->done = nullptr;
                }
                cb(std::move(out));
              });
      };
  ask(
      sys_, opts_.tracker, opts_.deadline, std::move(on_view),
      [done](caf::error& err) {
        cluster_fetch out;
        out.error = membership_unknown(err);
        done(std::move(out));
      },
      cluster::view_atom_v);
}

void cluster_reads::gather(std::string target, std::string credential,
                           std::function<void(cluster_gather)> done) {
  auto on_view = [this, target = std::move(target),
                  credential = std::move(credential),
                  done](cluster::membership& live,
                        std::vector<cluster::member>& down) {
    struct gather_state {
      std::mutex mtx;
      size_t waiting = 0;
      cluster_gather out;
    };
    auto st = std::make_shared<gather_state>();
    auto [peers, missing] = others_of(opts_.self, live, down);
    st->out.missing.assign(missing.begin(), missing.end());
    if (peers.empty())
      return done(std::move(st->out));
    st->waiting = peers.size();
    for (const auto& m : peers)
      fetcher_->get(
          m.http_address, target, peer_headers(credential), opts_.deadline,
          [st, done, id = m.id](caf::expected<http::http_fetcher::reply> r) {
            {
              std::lock_guard guard{st->mtx};
              if (r)
                st->out.replies.emplace(id, std::move(*r));
              else
                st->out.missing.push_back(id);
              if (--st->waiting > 0)
                return;
            }
            std::sort(st->out.missing.begin(), st->out.missing.end());
            done(std::move(st->out));
          });
  };
  ask(
      sys_, opts_.tracker, opts_.deadline, std::move(on_view),
      [done](caf::error& err) {
        cluster_gather out;
        out.error = membership_unknown(err);
        done(std::move(out));
      },
      cluster::view_atom_v);
}

} // namespace herald::api
