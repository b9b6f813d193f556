#include "actors/definition_actor.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include "actors/cluster/etcd_definitions.hpp"
#include "actors/storage_codec.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

/// Long enough for a commit behind a full writer queue; a caller with a
/// shorter deadline gives up first.
constexpr auto commit_timeout = std::chrono::seconds{60};

/// The public interface plus the cluster watch's records.
using definitions_node_actor =
    protocol::definitions_actor::extend<caf::reacts_to<
        replicate_atom, std::vector<cluster::replicated_definition>>>;

/// A local define committed in etcd, waiting for this node to apply it.
struct pending_define {
  caf::typed_response_promise<protocol::definition_result> rp;
  uint64_t version = 0; ///< what to answer (the deleted version on delete)
};

struct definition_state {
  std::shared_ptr<storage::event_store> store;
  writer_actor writer;
  std::vector<definition_view_ptr> views;
  std::shared_ptr<definition_followers> followers;
  std::string node_id;
  // Cluster mode only:
  std::map<uint64_t, pending_define> pending; ///< by record revision
  /// Records from the watch not applied yet, in revision order; the front
  /// one is at the writer while `applying`.
  std::deque<cluster::replicated_definition> backlog;
  bool applying = false;
};

bool follows(const std::vector<std::string>& prefixes, const std::string& key) {
  for (const auto& prefix : prefixes)
    if (key.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

/// Tells every view following `key` of its change; the first error.
caf::error update_views(definition_state& st, const std::string& key,
                        const std::optional<protocol::definition>& now) {
  caf::error first_error;
  for (auto& view : st.views)
    if (follows(view->prefixes(), key))
      if (auto err = view->apply(key, now); err && !first_error)
        first_error = std::move(err);
  return first_error;
}

using definitions_pointer =
    definitions_node_actor::stateful_pointer<definition_state>;

/// The change a replicated record makes to this node's store.
protocol::definition_change
replica_change(const cluster::replicated_definition& r) {
  protocol::definition_change c;
  c.key = r.key;
  c.value = r.value;
  c.replica_version = r.revision;
  return c;
}

/// Applies the backlog's front record (one at a time: views and followers
/// see changes in revision order).
void apply_next(definitions_pointer self) {
  auto& st = self->state;
  if (st.applying || st.backlog.empty())
    return;
  st.applying = true;
  auto& r = st.backlog.front();
  // Only the accepting node stores the events (DESIGN §6).
  std::vector<v1::Event> evs;
  if (r.by == st.node_id)
    evs = r.events;
  self->request(st.writer, commit_timeout, define_atom_v, replica_change(r),
                std::move(evs))
      .then(
          [self](protocol::definition_result& res) {
            auto& st = self->state;
            auto r = std::move(st.backlog.front());
            st.backlog.pop_front();
            st.applying = false;
            std::optional<protocol::definition> now;
            if (r.value)
              now = protocol::definition{r.key, *r.value, r.revision};
            auto err = update_views(st, r.key, now);
            if (auto i = st.pending.find(r.revision); i != st.pending.end()) {
              if (err)
                i->second.rp.deliver(std::move(err));
              else
                i->second.rp.deliver(protocol::definition_result{
                    i->second.version, std::move(res.events)});
              st.pending.erase(i);
            } else if (st.followers) {
              st.followers->notify(r.key, now);
            }
            apply_next(self);
          },
          [self](caf::error& err) {
            // The writer failed (the store is failing or stopping): this
            // node skips the record until its next start brings the store
            // in step again (sync_with_cluster); a waiting caller hears of
            // it now.
            auto& st = self->state;
            st.applying = false;
            const auto rev = st.backlog.front().revision;
            spdlog::error("cluster: cannot apply definition {}@{}: {}",
                          st.backlog.front().key, rev,
                          runtime::describe(err).message);
            if (auto i = st.pending.find(rev); i != st.pending.end()) {
              i->second.rp.deliver(std::move(err));
              st.pending.erase(i);
            }
            st.backlog.pop_front();
            apply_next(self);
          });
}

definitions_node_actor::behavior_type
definitions_impl(definitions_pointer self,
                 std::shared_ptr<storage::event_store> store,
                 writer_actor writer, std::vector<definition_view_ptr> views,
                 std::shared_ptr<definition_followers> followers,
                 std::shared_ptr<cluster::etcd_definitions> etcd,
                 int64_t watch_from, std::string node_id) {
  auto& st = self->state;
  st.node_id = std::move(node_id);
  st.store = std::move(store);
  st.writer = std::move(writer);
  st.views = std::move(views);
  st.followers = std::move(followers);
  if (etcd) {
    // The watch thread hands records to this actor; it stops (joins) when
    // the actor exits.
    etcd->watch(watch_from, [target = caf::actor_cast<caf::actor>(self)](
                                std::vector<cluster::replicated_definition> r) {
      caf::anon_send(target, replicate_atom_v, std::move(r));
    });
    self->attach_functor([etcd] { etcd->stop(); });
  }
  auto cluster = etcd;
  return {
      [self, cluster](define_atom, protocol::definition_change& change,
                      std::vector<v1::Event>& events)
          -> caf::result<protocol::definition_result> {
        auto& st = self->state;
        change.replica_version.reset(); // only the watch sets it
        if (cluster && cluster_wide_definition(change.key)) {
          auto p = cluster->propose(change.key, change.value,
                                    change.expect_version, std::move(events));
          if (!p)
            return std::move(p.error());
          auto rp = self->make_response_promise<protocol::definition_result>();
          st.pending.emplace(p->revision, pending_define{rp, p->version});
          return rp;
        }
        auto rp = self->make_response_promise<protocol::definition_result>();
        auto key = change.key;
        auto value = change.value;
        self->request(st.writer, commit_timeout, define_atom_v,
                      std::move(change), std::move(events))
            .then(
                [self, rp, key = std::move(key), value = std::move(value)](
                    protocol::definition_result& res) mutable {
                  std::optional<protocol::definition> now;
                  if (value)
                    now = protocol::definition{key, std::move(*value),
                                               res.version};
                  // Every view sees the change, even after one failed.
                  if (auto err = update_views(self->state, key, now))
                    rp.deliver(std::move(err));
                  else
                    rp.deliver(std::move(res));
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [self](replicate_atom,
             std::vector<cluster::replicated_definition>& records) {
        auto& st = self->state;
        for (auto& r : records)
          if (cluster_wide_definition(r.key))
            st.backlog.push_back(std::move(r));
        apply_next(self);
      },
      [self](get_atom,
             const std::string& key) -> caf::result<protocol::definition> {
        auto found = self->state.store->get_definition(key);
        if (!found)
          return std::move(found.error());
        if (!*found)
          return runtime::make_api_error(runtime::errc::not_found,
                                         "no definition '" + key + "'", "key");
        return to_protocol(std::move(**found));
      },
      [self](list_atom, const std::string& prefix)
          -> caf::result<std::vector<protocol::definition>> {
        auto found = self->state.store->list_definitions(prefix);
        if (!found)
          return std::move(found.error());
        std::vector<protocol::definition> out;
        out.reserve(found->size());
        for (auto& d : *found)
          out.push_back(to_protocol(std::move(d)));
        return out;
      },
      [self](sources_atom) -> std::vector<protocol::source_info> {
        auto list = self->state.store->sources();
        std::vector<protocol::source_info> out;
        out.reserve(list.size());
        for (const auto& s : list)
          out.push_back(to_protocol(s));
        return out;
      },
  };
}

/// Brings the store in step with the cluster's records before anything
/// reads it (views, triggers, subscriptions); answers the revision a watch
/// continues after.
caf::expected<int64_t> sync_with_cluster(caf::actor_system& sys,
                                         storage::event_store& store,
                                         const writer_actor& writer,
                                         cluster::etcd_definitions& etcd,
                                         const std::string& node_id) {
  auto local = store.list_definitions("");
  if (!local)
    return std::move(local.error());
  std::vector<cluster::replicated_definition> mine;
  for (const auto& d : *local)
    if (cluster_wide_definition(d.key))
      mine.push_back({d.key, d.value, d.version, node_id, {}});
  auto seeded = etcd.seed(mine);
  if (!seeded)
    return std::move(seeded.error());
  if (*seeded)
    spdlog::info("cluster: this node seeded the cluster with its {} "
                 "definitions",
                 mine.size());
  auto snap = etcd.snapshot();
  if (!snap)
    return std::move(snap.error());
  std::map<std::string, uint64_t> stored;
  for (const auto& d : *local)
    if (cluster_wide_definition(d.key))
      stored.emplace(d.key, d.version);
  std::vector<std::pair<protocol::definition_change, std::vector<v1::Event>>>
      todo;
  std::set<std::string> in_cluster;
  for (auto& r : snap->first) {
    if (!cluster_wide_definition(r.key))
      continue;
    in_cluster.insert(r.key);
    auto i = stored.find(r.key);
    const bool same = r.value ? (i != stored.end() && i->second == r.revision)
                              : i == stored.end();
    // A record this node accepted carries events it may not have stored
    // (a crash after the etcd commit): their ids tell.
    bool events_missing = false;
    if (r.by == node_id)
      for (const auto& ev : r.events) {
        auto found = store.get_by_id(ev.id());
        if (!found)
          return std::move(found.error());
        events_missing = events_missing || !*found;
      }
    if (same && !events_missing)
      continue;
    std::vector<v1::Event> evs;
    if (r.by == node_id)
      evs = std::move(r.events);
    todo.emplace_back(replica_change(r), std::move(evs));
  }
  size_t dropped = 0;
  for (const auto& [key, version] : stored) {
    if (in_cluster.contains(key))
      continue;
    protocol::definition_change c;
    c.key = key;
    c.replica_version = static_cast<uint64_t>(snap->second);
    todo.emplace_back(std::move(c), std::vector<v1::Event>{});
    ++dropped;
  }
  if (dropped > 0)
    spdlog::warn("cluster: {} definitions of this node are not the "
                 "cluster's and were removed",
                 dropped);
  caf::scoped_actor waiter{sys};
  for (auto& [change, evs] : todo) {
    caf::error failed;
    waiter
        ->request(writer, commit_timeout, define_atom_v, std::move(change),
                  std::move(evs))
        .receive([](protocol::definition_result&) {},
                 [&](caf::error& err) { failed = std::move(err); });
    if (failed)
      return failed;
  }
  spdlog::info("cluster: definitions in step at revision {} ({} applied)",
               snap->second, todo.size());
  return snap->second;
}

} // namespace

void definition_followers::add(std::vector<std::string> prefixes, callback fn) {
  std::lock_guard guard{mtx_};
  list_.emplace_back(std::move(prefixes), std::move(fn));
}

void definition_followers::notify(
    const std::string& key,
    const std::optional<protocol::definition>& now) const {
  std::lock_guard guard{mtx_};
  for (const auto& [prefixes, fn] : list_)
    if (follows(prefixes, key))
      fn(key, now);
}

bool cluster_wide_definition(const std::string& key) {
  // Written straight through the writer by the node that runs them.
  return !key.starts_with("task/") && !key.starts_with("dead-letter/");
}

caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  bool inline_io) {
  definitions_options opts;
  opts.inline_io = inline_io;
  return spawn_definitions(sys, std::move(store), std::move(writer),
                           std::move(views), std::move(opts));
}

caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  definitions_options opts) {
  std::shared_ptr<cluster::etcd_definitions> etcd;
  int64_t watch_from = 0;
  if (opts.cluster) {
    const auto node_id = opts.cluster->self;
    etcd = std::make_shared<cluster::etcd_definitions>(*opts.cluster);
    auto rev = sync_with_cluster(sys, *store, writer, *etcd, node_id);
    if (!rev)
      return std::move(rev.error());
    watch_from = *rev + 1;
  }
  for (auto& view : views) {
    std::vector<protocol::definition> defs;
    for (const auto& prefix : view->prefixes()) {
      auto found = store->list_definitions(prefix);
      if (!found)
        return std::move(found.error());
      for (auto& d : *found)
        defs.push_back(to_protocol(std::move(d)));
    }
    if (auto err = view->load(defs))
      return err;
  }
  const auto node_id = opts.cluster ? opts.cluster->self : std::string{};
  auto spawn_it = [&](auto&&... xs) {
    if (opts.inline_io)
      return sys.spawn(definitions_impl, xs...);
    return sys.spawn<caf::detached>(definitions_impl, xs...);
  };
  auto actor =
      spawn_it(std::move(store), std::move(writer), std::move(views),
               std::move(opts.followers), std::move(etcd), watch_from, node_id);
  return caf::actor_cast<protocol::definitions_actor>(actor);
}

} // namespace herald::actors
