#include "actors/cluster/etcd_coordinator.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/errc.hpp"
#include "actors/cluster/etcd_client.hpp"
#include "actors/cluster/membership_listeners.hpp"
#include "actors/cluster/membership_table.hpp"
#include "runtime/errc.hpp"

namespace herald::cluster {

namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

/// The coordinator's messages plus the poller's views.
using etcd_coordinator_actor =
    coordinator_actor::extend<caf::reacts_to<view_atom, membership>>;

std::string members_prefix(const std::string& cluster) {
  return "/herald/" + cluster + "/members/";
}

std::string progress_key(const std::string& cluster, const std::string& key) {
  return "/herald/" + cluster + "/progress/" + key;
}

std::string member_value(const member& m) {
  return json{{"caf", m.caf_address}, {"http", m.http_address}}.dump();
}

/// This node's place in etcd: its lease and the member key's
/// create_revision (the fence).
struct enrolment {
  int64_t lease = 0;
  int64_t fence = 0;
};

caf::expected<enrolment> enrol(etcd_client& etcd,
                               const etcd_coordinator_options& o) {
  auto lease = etcd.grant(o.lease_ttl.count());
  if (!lease)
    return std::move(lease.error());
  const auto key = members_prefix(o.cluster) + o.self.id;
  if (auto put = etcd.put(key, member_value(o.self), *lease); !put)
    return std::move(put.error());
  auto got = etcd.get(key);
  if (!got)
    return std::move(got.error());
  if (!*got)
    return caf::make_error(errc::unavailable, "the member key vanished");
  return enrolment{*lease, (*got)->create_revision};
}

/// The member key's value as a member.
member parse_member(const std::string& cluster, const etcd_kv& kv) {
  member m;
  m.id = kv.key.substr(members_prefix(cluster).size());
  auto doc = json::parse(kv.value, nullptr, false);
  if (doc.is_object()) {
    m.caf_address = doc.value("caf", "");
    m.http_address = doc.value("http", "");
  }
  return m;
}

/// The membership's two threads: one keeps the lease alive (and decides,
/// on this node's own clock, whether it may still count itself live), one
/// follows the member keys with a watch (a snapshot, then the changes from
/// its revision on; a broken watch reads a new snapshot). Each new view
/// goes to the actor. Each thread owns its etcd client.
class poller {
public:
  poller(etcd_coordinator_options opts, enrolment e,
         std::shared_ptr<std::atomic<int64_t>> fence)
      : opts_(std::move(opts)), enrolled_(e), fence_(std::move(fence)),
        table_(opts_.self.id) {}

  void start(caf::actor target) {
    target_ = caf::actor_cast<etcd_coordinator_actor>(std::move(target));
    keeper_ = std::thread{[this] { keep_alive_loop(); }};
    watcher_ = std::thread{[this] { watch_loop(); }};
  }

  /// Stops both threads; revokes the lease when `leave` (others take over
  /// at once).
  void stop(bool leave) {
    {
      std::lock_guard guard{mtx_};
      if (stopping_)
        return;
      stopping_ = true;
      leave_ = leave;
    }
    cv_.notify_all();
    if (watcher_.joinable())
      watcher_.join();
    if (keeper_.joinable())
      keeper_.join();
  }

  ~poller() { stop(false); }

private:
  bool stopping() {
    std::lock_guard guard{mtx_};
    return stopping_;
  }

  /// Waits `d` or until stop(); true when stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock guard{mtx_};
    return cv_.wait_for(guard, d, [this] { return stopping_; });
  }

  /// Sends the actor the view of the members known now (this node only
  /// while it may count itself live), if it changed. Under mtx_.
  void publish_locked() {
    std::vector<member> live;
    for (const auto& [id, m] : members_)
      if (id != opts_.self.id || alive_)
        live.push_back(m);
    if (table_.update(std::move(live)))
      caf::anon_send(target_, view_atom_v, table_.current());
  }

  void keep_alive_loop() {
    etcd_client etcd{opts_.endpoints, opts_.deadline};
    auto last_alive = clock_type::now();
    const auto margin = std::chrono::milliseconds(300);
    while (!pause(opts_.keep_alive_every)) {
      const auto now = clock_type::now();
      bool ok = false;
      auto ttl = etcd.keep_alive(enrolled_.lease);
      if (ttl && *ttl > 0) {
        ok = true;
      } else if (ttl) {
        // The lease expired (etcd says TTL 0): enrol again; the new member
        // key has a new create_revision, so old fences fail.
        if (auto e = enrol(etcd, opts_)) {
          enrolled_ = *e;
          fence_->store(e->fence);
          ok = true;
          spdlog::warn("cluster: the lease had lapsed; joined again");
        }
      }
      if (ok)
        last_alive = now;
      std::lock_guard guard{mtx_};
      const bool alive = now - last_alive < opts_.lease_ttl - margin;
      if (alive != alive_) {
        alive_ = alive;
        publish_locked();
      }
    }
    bool leave = false;
    {
      std::lock_guard guard{mtx_};
      leave = leave_;
    }
    if (leave)
      if (auto err = etcd.revoke(enrolled_.lease))
        spdlog::warn("cluster: cannot revoke the lease on leaving");
  }

  void watch_loop() {
    etcd_client etcd{opts_.endpoints, opts_.deadline};
    const auto prefix = members_prefix(opts_.cluster);
    while (!stopping()) {
      auto snapshot = etcd.get_prefix(prefix);
      if (!snapshot) {
        if (pause(opts_.poll_every))
          return;
        continue;
      }
      {
        std::lock_guard guard{mtx_};
        members_.clear();
        for (const auto& kv : snapshot->first) {
          auto m = parse_member(opts_.cluster, kv);
          members_[m.id] = m;
        }
        publish_locked();
      }
      auto err = etcd.watch_prefix(
          prefix, snapshot->second + 1,
          [this](std::vector<etcd_event> evs, int64_t) {
            std::lock_guard guard{mtx_};
            for (const auto& ev : evs) {
              auto m = parse_member(opts_.cluster, ev.kv);
              if (ev.deleted)
                members_.erase(m.id);
              else
                members_[m.id] = m;
            }
            publish_locked();
          },
          [this] { return stopping(); },
          // The gateway sends nothing while nothing changes: a quiet watch
          // is re-established now and then, from a fresh snapshot.
          std::chrono::seconds{30});
      if (err && pause(opts_.poll_every))
        return;
    }
  }

  etcd_coordinator_options opts_;
  enrolment enrolled_; ///< keeper thread only
  std::shared_ptr<std::atomic<int64_t>> fence_;
  etcd_coordinator_actor target_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;                 ///< guarded by mtx_
  bool leave_ = false;                    ///< guarded by mtx_
  bool alive_ = true;                     ///< guarded by mtx_
  std::map<std::string, member> members_; ///< guarded by mtx_
  membership_table table_;                ///< guarded by mtx_
  std::thread keeper_;
  std::thread watcher_;
};

struct coordinator_state {
  etcd_coordinator_options opts;
  std::unique_ptr<etcd_client> etcd;
  std::shared_ptr<std::atomic<int64_t>> fence;
  std::shared_ptr<poller> poll;
  std::unique_ptr<membership_table> table;
  membership_listeners listeners;
  bool left = false;
};

using self_ptr = etcd_coordinator_actor::stateful_pointer<coordinator_state>;

void publish_view(self_ptr self) {
  self->state.listeners.send(self, self->state.table->current());
}

etcd_coordinator_actor::behavior_type
coordinator_impl(self_ptr self, etcd_coordinator_options opts, enrolment e) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.etcd = std::make_unique<etcd_client>(st.opts.endpoints, st.opts.deadline);
  st.fence = std::make_shared<std::atomic<int64_t>>(e.fence);
  st.table = std::make_unique<membership_table>(st.opts.self.id);
  st.poll = std::make_shared<poller>(st.opts, e, st.fence);
  st.poll->start(caf::actor_cast<caf::actor>(self));
  self->attach_functor([p = st.poll] { p->stop(false); });
  self->set_down_handler(
      [self](caf::down_msg& msg) { self->state.listeners.down(msg); });
  return {
      [self](members_atom) { return self->state.table->current(); },
      [self](self_atom) { return self->state.opts.self; },
      [self](owner_atom, const std::string& key) {
        return self->state.table->owner_of(key);
      },
      [self](watch_atom, const membership_listener& l) {
        self->state.listeners.add(self, l);
        return self->state.table->current();
      },
      [self](unwatch_atom, const membership_listener& l) {
        self->state.listeners.remove(self, l);
      },
      [self](view_atom, membership& m) {
        auto& st = self->state;
        if (st.left)
          return;
        if (st.table->update(std::move(m.members)))
          publish_view(self);
      },
      [self](progress_atom, const std::string& key) -> caf::result<progress> {
        auto& st = self->state;
        auto got = st.etcd->get(progress_key(st.opts.cluster, key));
        if (!got)
          return std::move(got.error());
        if (!*got)
          return progress{};
        return progress{std::move((*got)->value),
                        static_cast<uint64_t>((*got)->mod_revision)};
      },
      [self](commit_atom, const std::string& key, uint64_t expected,
             const std::string& value) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (key.empty())
          return runtime::make_api_error(runtime::errc::invalid_field,
                                         "empty progress key", "key");
        if (st.left || !st.table->self_live() || !st.table->owner_of(key).local)
          return caf::make_error(errc::fenced,
                                 "this node does not own " + key + " now");
        const auto member_key =
            members_prefix(st.opts.cluster) + st.opts.self.id;
        const auto pkey = progress_key(st.opts.cluster, key);
        auto r = st.etcd->txn({{member_key,
                                etcd_compare::target::create_revision,
                                etcd_compare::result::equal,
                                st.fence->load(),
                                {}},
                               {pkey,
                                etcd_compare::target::mod_revision,
                                etcd_compare::result::equal,
                                static_cast<int64_t>(expected),
                                {}}},
                              {etcd_op::put(pkey, value)},
                              {etcd_op::get(member_key)});
        if (!r)
          return std::move(r.error());
        if (r->succeeded)
          return static_cast<uint64_t>(r->revision);
        const bool member_ok = !r->reads.empty() &&
                               r->reads[0].create_revision == st.fence->load();
        if (!member_ok)
          return caf::make_error(errc::fenced,
                                 "this node's member key is gone or new");
        return caf::make_error(errc::conflict,
                               "the progress of " + key + " moved");
      },
      [self](leave_atom) {
        auto& st = self->state;
        if (!st.left) {
          st.left = true;
          st.poll->stop(true); // revokes the lease: others take over now
          if (st.table->update({}))
            publish_view(self);
        }
        return st.table->current();
      }};
}

} // namespace

caf::expected<coordinator_actor>
spawn_etcd_coordinator(caf::actor_system& sys, etcd_coordinator_options opts) {
  if (opts.self.id.empty() || opts.cluster.empty() || opts.endpoints.empty())
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "a cluster needs a node id, a name and an "
                                   "etcd endpoint",
                                   "cluster");
  etcd_client etcd{opts.endpoints, opts.deadline};
  auto e = enrol(etcd, opts);
  if (!e)
    return std::move(e.error());
  auto actor = sys.spawn<caf::detached>(coordinator_impl, std::move(opts), *e);
  return caf::actor_cast<coordinator_actor>(actor);
}

} // namespace herald::cluster
