#include "actors/delivery/delivery_actor.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/membership_table.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/dead_letter.hpp"
#include "runtime/flow/subscription_progress.hpp"
#include "runtime/identity.hpp"
#include "runtime/time_format.hpp"
#include "storage/event_store.hpp"

namespace herald::delivery {

// -- delivery_metrics ---------------------------------------------------------

std::vector<delivery_metrics::row> delivery_metrics::rows() const {
  std::lock_guard guard{mtx_};
  std::vector<row> out;
  out.reserve(rows_.size());
  for (const auto& [id, r] : rows_)
    out.push_back(r);
  return out;
}

uint64_t delivery_metrics::hold_seq() const {
  std::lock_guard guard{mtx_};
  uint64_t out = std::numeric_limits<uint64_t>::max();
  for (const auto& [id, r] : rows_)
    if (r.active)
      out = std::min<uint64_t>(out, r.counters->cursor.load() + 1);
  return out;
}

void delivery_metrics::put(const std::string& id,
                           std::shared_ptr<subscription_metrics> m,
                           bool active) {
  std::lock_guard guard{mtx_};
  rows_[id] = row{id, std::move(m), active};
}

void delivery_metrics::erase(const std::string& id) {
  std::lock_guard guard{mtx_};
  rows_.erase(id);
}

void delivery_metrics::expired(std::vector<v1::Event> events) const {
  std::function<void(std::vector<v1::Event>)> sink;
  {
    std::lock_guard guard{mtx_};
    sink = sink_;
  }
  if (sink)
    sink(std::move(events));
  else
    spdlog::warn("retention forced out {} held events before delivery ran",
                 events.size());
}

void delivery_metrics::set_expired_sink(
    std::function<void(std::vector<v1::Event>)> sink) {
  std::lock_guard guard{mtx_};
  sink_ = std::move(sink);
}

namespace {

using json = nlohmann::json;
using runtime::errc;

constexpr std::string_view topic_prefix = "topic/";
constexpr std::string_view subscription_prefix = "subscription/";
constexpr std::string_view state_prefix = flow::subscription_state_prefix;
constexpr std::chrono::seconds ask_timeout{30};

struct entry {
  std::shared_ptr<const flow::subscription_def> def;
  std::shared_ptr<subscription_metrics> metrics;
  subscription_actor actor; ///< null when not running here
};

struct manager_state {
  subscription_env env;
  delivery_options opts;
  std::map<std::string, std::shared_ptr<const flow::topic_def>> topics;
  std::map<std::string, entry> subs;
  /// A cluster: the cluster-wide pause / resume of each subscription.
  std::map<std::string, flow::subscription_wanted_state> wanted;
  bool started = false;

  /// The progress key of `id`'s part delivered here.
  std::string progress_key(const std::string& id) const {
    return opts.cluster
               ? cluster::pinned_key(opts.node_id,
                                     std::string{subscription_prefix} + id)
               : std::string{subscription_prefix} + id;
  }

  /// What `id`'s actor delivers here (subscription_part).
  subscription_part part_of(const std::string& id, const entry& e) const {
    subscription_part p;
    if (!opts.cluster)
      return p;
    p.progress_key = progress_key(id);
    const auto& server = e.def->server();
    // start_seq counts in the accepting node's trail; elsewhere a new
    // subscription starts at what this node has stored now (or at the
    // from_seq the user gave, for every node's trail).
    if (server.start_node != opts.node_id && !server.start_node.empty())
      p.fresh_start =
          e.def->from_seq() ? *e.def->from_seq() - 1 : env.store->last_seq();
    if (auto w = wanted.find(id);
        w != wanted.end() && w->second.incarnation == server.incarnation)
      p.paused = w->second.paused;
    return p;
  }
};

using self_ptr = delivery_actor::stateful_pointer<manager_state>;

caf::error not_found(const std::string& what, const std::string& field) {
  return runtime::make_api_error(errc::not_found, "no such " + what, field);
}

std::shared_ptr<const flow::topic_def>
topic_of(const manager_state& st, const flow::subscription_def& d) {
  if (!d.topic())
    return nullptr;
  auto i = st.topics.find(*d.topic());
  return i == st.topics.end() ? nullptr : i->second;
}

void stop_actor(self_ptr self, entry& e) {
  if (e.actor) {
    self->demonitor(e.actor.address());
    self->unlink_from(e.actor.address());
    caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
    e.actor = nullptr;
  }
}

/// Starts the actor of `id` when it should run here (enabled, owned).
void start_actor(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto i = st.subs.find(id);
  if (i == st.subs.end() || !st.started || i->second.actor ||
      !i->second.def->enabled())
    return;
  if (st.opts.cluster) {
    // Every node delivers its own trail's part; its commits are fenced on
    // this node's member key (a lapsed lease stops the actor; the next
    // view starts it again).
    auto& e = i->second;
    e.actor =
        spawn_subscription(self->system(), st.env, e.def, topic_of(st, *e.def),
                           e.metrics, st.part_of(id, e));
    self->link_to(e.actor.address());
    self->monitor(e.actor);
    return;
  }
  self->request(st.env.coordinator, ask_timeout, cluster::owner_atom_v,
                std::string{subscription_prefix} + id)
      .then(
          [self, id](cluster::ownership& o) {
            auto& s = self->state;
            auto j = s.subs.find(id);
            if (!o.local || j == s.subs.end() || j->second.actor ||
                !j->second.def->enabled())
              return;
            auto& e = j->second;
            e.actor = spawn_subscription(self->system(), s.env, e.def,
                                         topic_of(s, *e.def), e.metrics);
            // Linked: when the delivery actor stops (shutdown), its
            // subscription actors stop too (their timers would keep the
            // actor system alive otherwise); one that quits on its own
            // (fenced) exits normally, which a link does not propagate.
            self->link_to(e.actor.address());
            self->monitor(e.actor);
          },
          [id](caf::error& err) {
            spdlog::warn("subscription {}: owner unknown: {}", id,
                         runtime::describe(err).message);
          });
}

void restart_actor(self_ptr self, const std::string& id) {
  auto i = self->state.subs.find(id);
  if (i == self->state.subs.end())
    return;
  stop_actor(self, i->second);
  self->state.opts.metrics->put(id, i->second.metrics,
                                i->second.def->enabled());
  start_actor(self, id);
}

caf::error add_subscription(manager_state& st, const std::string& id,
                            const std::string& value) {
  auto doc = json::parse(value, nullptr, false);
  auto def = flow::subscription_def::parse_stored(id, doc);
  if (!def)
    return std::move(def.error());
  auto& e = st.subs[id];
  if (!e.metrics)
    e.metrics = std::make_shared<subscription_metrics>();
  e.def = std::make_shared<const flow::subscription_def>(std::move(*def));
  st.opts.metrics->put(id, e.metrics, e.def->enabled());
  return {};
}

void add_wanted(manager_state& st, const std::string& id,
                const std::string& value) {
  auto w = flow::subscription_wanted_state::parse(value);
  if (!w) {
    spdlog::warn("subscription {}: its state record is not understood: {}", id,
                 runtime::describe(w.error()).message);
    return;
  }
  st.wanted[id] = std::move(*w);
}

caf::error add_topic(manager_state& st, const std::string& id,
                     const std::string& value) {
  auto doc = json::parse(value, nullptr, false);
  auto def = flow::topic_def::parse(id, doc);
  if (!def)
    return std::move(def.error());
  st.topics[id] = std::make_shared<const flow::topic_def>(std::move(*def));
  return {};
}

/// The answer for a subscription whose actor does not run here.
void state_at_rest(self_ptr self, const std::string& id,
                   caf::typed_response_promise<std::string> rp) {
  auto& st = self->state;
  self->request(st.env.coordinator, ask_timeout, cluster::progress_atom_v,
                st.progress_key(id))
      .then(
          [self, id, rp](cluster::progress& p) mutable {
            auto& s = self->state;
            auto i = s.subs.find(id);
            if (i == s.subs.end()) {
              rp.deliver(not_found("subscription", "id"));
              return;
            }
            const auto& e = i->second;
            uint64_t cursor = e.def->server().start_seq;
            std::string state = "active";
            std::string reason;
            if (auto got = flow::subscription_progress::parse(p.value);
                got && got->incarnation == e.def->server().incarnation) {
              cursor = got->cursor;
              state = std::string{flow::to_string(got->state)};
              reason = got->reason;
            }
            if (!e.def->enabled()) {
              state = "disabled";
              reason = "enabled is false";
            }
            const auto last = s.env.store->last_seq();
            json j{{"state", state},
                   {"cursor_seq", cursor},
                   {"lag_events", last > cursor ? last - cursor : 0},
                   {"lag_seconds", 0.0},
                   {"attempts", e.metrics->attempts.load()},
                   {"failures", e.metrics->failures.load()},
                   {"dead_letters", e.metrics->dead_letters.load()},
                   {"owner", s.opts.node_id}};
            if (!reason.empty())
              j["reason"] = reason;
            rp.deliver(j.dump());
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// The entry of `id` with a running actor, or the error to answer.
caf::expected<subscription_actor> running(manager_state& st,
                                          const std::string& id) {
  auto i = st.subs.find(id);
  if (i == st.subs.end())
    return not_found("subscription", "id");
  if (!i->second.actor)
    return runtime::make_api_error(
        errc::conflict,
        i->second.def->enabled()
            ? "the subscription is not running on this node"
            : "the subscription is disabled (enabled: false)",
        "id");
  return i->second.actor;
}

std::string seq_of_key(const std::string& key) {
  auto slash = key.rfind('/');
  auto digits = key.substr(slash + 1);
  auto first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

/// A deleted subscription's dead letters go with it (a new subscription
/// of the same id starts without them).
void purge_dead_letters(self_ptr self, const std::string& id) {
  auto& st = self->state;
  const auto prefix = flow::dead_letter_prefix(id);
  std::string after;
  for (;;) {
    auto page = st.env.store->list_definitions(prefix, after, 1000);
    if (!page) {
      spdlog::warn("subscription {}: dead letters not deleted: {}", id,
                   runtime::describe(page.error()).message);
      return;
    }
    for (const auto& d : *page) {
      after = d.key;
      self->request(
              st.env.writer, ask_timeout, actors::define_atom_v,
              protocol::definition_change{d.key, std::nullopt, std::nullopt},
              std::vector<v1::Event>{})
          .then([](protocol::definition_result&) {}, [](caf::error&) {});
    }
    if (page->size() < 1000)
      return;
  }
}

delivery_actor::behavior_type manager_impl(self_ptr self, subscription_env env,
                                           delivery_options opts,
                                           manager_state loaded) {
  auto& st = self->state;
  st = std::move(loaded);
  st.env = std::move(env);
  st.opts = std::move(opts);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [id, e] : self->state.subs)
      if (e.actor && e.actor.address() == dm.source)
        e.actor = nullptr;
  });
  return {
      [self](start_atom) {
        auto& s = self->state;
        if (!s.started) {
          s.started = true;
          self->request(s.env.coordinator, ask_timeout, cluster::watch_atom_v,
                        caf::actor_cast<cluster::membership_listener>(self))
              .then([](cluster::membership&) {},
                    [](caf::error& err) {
                      spdlog::warn("delivery: cannot watch the membership: {}",
                                   runtime::describe(err).message);
                    });
          for (auto& [id, e] : s.subs)
            start_actor(self, id);
        }
        return true;
      },
      [self](apply_atom, const std::string& key, bool exists,
             const std::string& value) -> caf::result<bool> {
        auto& s = self->state;
        if (key.starts_with(topic_prefix)) {
          auto id = key.substr(topic_prefix.size());
          if (exists) {
            if (auto err = add_topic(s, id, value))
              return err;
          } else {
            s.topics.erase(id);
          }
          for (auto& [sid, e] : s.subs)
            if (e.def->topic() && *e.def->topic() == id)
              restart_actor(self, sid);
          return true;
        }
        if (key.starts_with(subscription_prefix)) {
          auto id = key.substr(subscription_prefix.size());
          if (!exists) {
            auto i = s.subs.find(id);
            if (i != s.subs.end()) {
              stop_actor(self, i->second);
              s.subs.erase(i);
            }
            s.opts.metrics->erase(id);
            purge_dead_letters(self, id);
            return true;
          }
          if (auto err = add_subscription(s, id, value))
            return err;
          restart_actor(self, id);
          return true;
        }
        if (key.starts_with(state_prefix)) {
          auto id = key.substr(state_prefix.size());
          if (!exists) {
            s.wanted.erase(id);
            return true;
          }
          add_wanted(s, id, value);
          auto i = s.subs.find(id);
          auto w = s.wanted.find(id);
          if (i == s.subs.end() || w == s.wanted.end() ||
              w->second.incarnation != i->second.def->server().incarnation)
            return true;
          if (!i->second.actor) {
            start_actor(self, id); // takes the state when it loads
            return true;
          }
          // This node's part commits it before the answer; one still
          // loading its progress is started again with the state.
          auto rp = self->make_response_promise<bool>();
          auto on_error = [self, id, rp](caf::error&) mutable {
            restart_actor(self, id);
            rp.deliver(true);
          };
          if (w->second.paused)
            self->request(i->second.actor, ask_timeout, pause_atom_v)
                .then([rp](bool) mutable { rp.deliver(true); }, on_error);
          else
            self->request(i->second.actor, ask_timeout, resume_atom_v)
                .then([rp](bool) mutable { rp.deliver(true); }, on_error);
          return rp;
        }
        return runtime::make_api_error(errc::invalid_field,
                                       "not a delivery definition", "key");
      },
      [self](seq_atom) { return self->state.env.store->last_seq(); },
      [self](state_atom, const std::string& id) {
        auto rp = self->make_response_promise<std::string>();
        auto& s = self->state;
        auto i = s.subs.find(id);
        if (i == s.subs.end()) {
          rp.deliver(not_found("subscription", "id"));
          return rp;
        }
        if (!i->second.actor) {
          state_at_rest(self, id, rp);
          return rp;
        }
        self->request(i->second.actor, ask_timeout, state_atom_v)
            .then(
                [self, rp](std::string& text) mutable {
                  auto j = json::parse(text, nullptr, false);
                  if (j.is_object())
                    j["owner"] = self->state.opts.node_id;
                  rp.deliver(j.dump());
                },
                [self, id, rp](caf::error&) mutable {
                  state_at_rest(self, id, rp);
                });
        return rp;
      },
      [self](pause_atom, const std::string& id) -> caf::result<bool> {
        auto a = running(self->state, id);
        if (!a)
          return std::move(a.error());
        return self->delegate(*a, pause_atom_v);
      },
      [self](resume_atom, const std::string& id) -> caf::result<bool> {
        auto a = running(self->state, id);
        if (!a)
          return std::move(a.error());
        return self->delegate(*a, resume_atom_v);
      },
      [self](redrive_atom, const std::string& id,
             std::vector<std::string>& ids) -> caf::result<uint64_t> {
        auto a = running(self->state, id);
        if (!a)
          return std::move(a.error());
        return self->delegate(*a, redrive_atom_v, std::move(ids));
      },
      [self](dead_letters_atom, const std::string& id, const std::string& after,
             uint64_t limit) -> caf::result<std::string> {
        auto& s = self->state;
        if (!s.subs.count(id))
          return not_found("subscription", "id");
        std::string after_key;
        if (!after.empty()) {
          if (after.size() > 20 ||
              after.find_first_not_of("0123456789") != std::string::npos)
            return runtime::make_api_error(errc::invalid_cursor,
                                           "not a dead-letter cursor", "after");
          after_key = flow::dead_letter_key(id, std::stoull(after));
        }
        auto page = s.env.store->list_definitions(flow::dead_letter_prefix(id),
                                                  after_key, limit + 1);
        if (!page)
          return std::move(page.error());
        json out{{"dead_letters", json::array()}};
        size_t n = 0;
        for (const auto& d : *page) {
          if (n == limit) {
            out["next"] = seq_of_key((*page)[n - 1].key);
            break;
          }
          ++n;
          if (auto letter = flow::dead_letter::parse_stored(d.value))
            out["dead_letters"].push_back(letter->to_api_json());
        }
        return out.dump();
      },
      [self](drop_atom, const std::string& id,
             const std::string& event_id) -> caf::result<bool> {
        auto& s = self->state;
        if (!s.subs.count(id))
          return not_found("subscription", "id");
        const auto prefix = flow::dead_letter_prefix(id);
        std::string after;
        for (;;) {
          auto page = s.env.store->list_definitions(prefix, after, 1000);
          if (!page)
            return std::move(page.error());
          for (const auto& d : *page) {
            after = d.key;
            auto letter = flow::dead_letter::parse_stored(d.value);
            if (!letter || letter->event.id() != event_id)
              continue;
            auto rp = self->make_response_promise<bool>();
            self->request(s.env.writer, ask_timeout, actors::define_atom_v,
                          protocol::definition_change{d.key, std::nullopt,
                                                      std::nullopt},
                          std::vector<v1::Event>{})
                .then(
                    [self, id, rp](protocol::definition_result&) mutable {
                      auto i = self->state.subs.find(id);
                      if (i != self->state.subs.end() &&
                          i->second.metrics->dead_letters > 0)
                        --i->second.metrics->dead_letters;
                      rp.deliver(true);
                    },
                    [rp](caf::error& err) mutable {
                      rp.deliver(std::move(err));
                    });
            return rp;
          }
          if (page->size() < 1000)
            break;
        }
        return not_found("dead letter", "event_id");
      },
      [self](expired_atom, const std::vector<v1::Event>& evs) {
        auto& s = self->state;
        const auto now = runtime::now_unix_ns();
        for (auto& [id, e] : s.subs) {
          if (!e.def->enabled())
            continue;
          auto who = s.env.resolve(e.def->server().created_by);
          if (!who)
            continue;
          const auto cursor = e.metrics->cursor.load();
          auto topic = topic_of(s, *e.def);
          for (const auto& ev : evs) {
            if (ev.seq() <= cursor || !e.def->matches(ev, topic.get()) ||
                !runtime::can_see(*who, ev))
              continue;
            flow::dead_letter letter{ev, 0, "expired", now, now};
            std::vector<v1::Event> note;
            note.push_back(
                runtime::make_system_event("subscription.dead_lettered",
                                           {{"subscription_id", id},
                                            {"event_id", ev.id()},
                                            {"attempts", 0},
                                            {"last_error", "expired"}},
                                           now));
            ++e.metrics->dead_letters;
            self->request(s.env.writer, ask_timeout, actors::define_atom_v,
                          protocol::definition_change{
                              flow::dead_letter_key(id, ev.seq()),
                              letter.to_stored(), std::nullopt},
                          std::move(note))
                .then([](protocol::definition_result&) {},
                      [id = std::string{id}](caf::error& err) {
                        spdlog::warn("subscription {}: an expired event is "
                                     "lost: {}",
                                     id, runtime::describe(err).message);
                      });
          }
        }
      },
      [self](cluster::view_atom, const cluster::membership&) {
        // Ownership may have moved: stop what is not ours, start the rest
        // (the actor of a subscription owned elsewhere is fenced anyway).
        auto& s = self->state;
        for (auto& [id, e] : s.subs) {
          if (!e.actor) {
            start_actor(self, id);
            continue;
          }
          if (s.opts.cluster)
            continue; // this node's part stays here
          self->request(s.env.coordinator, ask_timeout, cluster::owner_atom_v,
                        std::string{subscription_prefix} + id)
              .then(
                  // A copy, not the binding: clang 14 (the fuzz build)
                  // cannot capture structured bindings.
                  [self, id = std::string{id}](cluster::ownership& o) {
                    auto i = self->state.subs.find(id);
                    if (!o.local && i != self->state.subs.end())
                      stop_actor(self, i->second);
                  },
                  [](caf::error&) {});
        }
      }};
}

} // namespace

caf::expected<delivery_actor> spawn_delivery(caf::actor_system& sys,
                                             subscription_env env,
                                             delivery_options opts) {
  if (!opts.metrics)
    opts.metrics = std::make_shared<delivery_metrics>();
  manager_state loaded;
  loaded.opts = opts;
  auto topics = env.store->list_definitions(std::string{topic_prefix});
  if (!topics)
    return std::move(topics.error());
  for (const auto& d : *topics)
    if (auto err =
            add_topic(loaded, d.key.substr(topic_prefix.size()), d.value))
      spdlog::error("topic {} is not loaded: {}", d.key,
                    runtime::describe(err).message);
  auto subs = env.store->list_definitions(std::string{subscription_prefix});
  if (!subs)
    return std::move(subs.error());
  for (const auto& d : *subs)
    if (auto err = add_subscription(
            loaded, d.key.substr(subscription_prefix.size()), d.value))
      spdlog::error("subscription {} is not loaded: {}", d.key,
                    runtime::describe(err).message);
  if (opts.cluster) {
    auto states = env.store->list_definitions(std::string{state_prefix});
    if (!states)
      return std::move(states.error());
    for (const auto& d : *states)
      add_wanted(loaded, d.key.substr(state_prefix.size()), d.value);
  }
  auto metrics = opts.metrics;
  auto actor = sys.spawn<caf::detached>(manager_impl, std::move(env),
                                        std::move(opts), std::move(loaded));
  metrics->set_expired_sink([actor](std::vector<v1::Event> evs) {
    caf::anon_send(actor, expired_atom_v, std::move(evs));
  });
  return actor;
}

} // namespace herald::delivery
