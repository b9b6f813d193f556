#include "actors/delivery/subscription_actor.hpp"

#include <algorithm>
#include <deque>
#include <random>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/registry_subscribe.hpp"
#include "actors/cluster/errc.hpp"
#include "actors/reader_actor.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/dead_letter.hpp"
#include "runtime/flow/delivery.hpp"
#include "runtime/flow/subscription_progress.hpp"
#include "runtime/time_format.hpp"
#include "runtime/webhook_signature.hpp"
#include "storage/event_store.hpp"

namespace herald::delivery {

namespace {

using json = nlohmann::json;
using flow::subscription_state;

constexpr std::chrono::seconds commit_timeout{30};
constexpr std::chrono::seconds read_timeout{30};
constexpr std::chrono::seconds write_timeout{30};
constexpr size_t redrive_page = 100;

/// An event waiting to go out: from the trail, or a dead letter re-driven.
struct item {
  v1::Event ev;
  bool redrive = false;
  flow::dead_letter letter; ///< redrive only: what is stored
};

struct sub_state {
  subscription_env env;
  std::shared_ptr<const flow::subscription_def> def;
  std::shared_ptr<const flow::topic_def> topic;
  std::shared_ptr<subscription_metrics> metrics;
  subscription_part part;
  std::mt19937_64 rng{std::random_device{}()};

  // -- committed progress -----------------------------------------------
  flow::subscription_progress progress;
  uint64_t revision = 0;
  bool loaded = false;
  bool committing = false;
  /// Nothing of this incarnation is committed yet: the next flush writes
  /// its first progress even when nothing moved.
  bool unsaved = false;
  /// The state asked for (pause, resume, disable); committed with the
  /// cursor by the next commit, after which `waiters` run.
  subscription_state want_state = subscription_state::active;
  std::string want_reason;
  std::vector<std::function<void()>> waiters;

  // -- reading ------------------------------------------------------------
  uint64_t position = 0;  ///< every seq ≤ position was read (or skipped)
  uint64_t known_seq = 0; ///< the highest seq known to be stored
  bool reading = false;
  std::deque<item> pending;

  // -- re-drive -----------------------------------------------------------
  std::deque<item> redrive;
  bool redrive_active = false;
  std::string redrive_after; ///< last dead-letter key read
  std::string redrive_until; ///< last key of the snapshot (inclusive)
  std::vector<std::string> redrive_ids; ///< empty: all

  // -- sending --------------------------------------------------------------
  bool in_flight = false;
  bool in_flight_redrive = false;
  bool writing = false; ///< a dead letter being stored
  bool retry_pending = false;
  uint64_t retry_token = 0;
  uint32_t head_attempts = 0;
  int64_t head_first_ns = 0;
  std::string last_error;
  bool failing = false;
  std::vector<std::string> secrets;

  const std::string& id() const { return def->id(); }
  std::string key() const {
    return part.progress_key.empty() ? "subscription/" + def->id()
                                     : part.progress_key;
  }
  int64_t now() const { return env.clock(); }

  /// Where the cursor may go: everything read and not pending is done.
  uint64_t cursor_target() const {
    return pending.empty() ? position : pending.front().ev.seq() - 1;
  }
};

using self_ptr = subscription_actor::stateful_pointer<sub_state>;

void pump(self_ptr self);
void load(self_ptr self);

/// The signing keys now: the current secret, and the previous one while
/// its overlap lasts.
std::vector<std::string> signing_keys(const flow::server_fields& s,
                                      int64_t now_ns) {
  std::vector<std::string> out;
  if (auto k = runtime::webhook_secret_key(s.secret))
    out.push_back(std::move(*k));
  if (!s.previous_secret.empty() && s.previous_secret_until_ns > now_ns)
    if (auto k = runtime::webhook_secret_key(s.previous_secret))
      out.push_back(std::move(*k));
  return out;
}

void emit(self_ptr self, std::string name, json data) {
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(std::move(name), data,
                                           runtime::now_unix_ns()));
  self->request(self->state.env.writer, write_timeout, actors::write_atom_v,
                std::move(evs))
      .then([](std::vector<protocol::publish_result>&) {},
            [self](caf::error& err) {
              spdlog::warn("subscription {}: cannot store its event: {}",
                           self->state.id(), runtime::describe(err).message);
            });
}

void retry_later(self_ptr self) {
  auto& st = self->state;
  st.retry_pending = true;
  self->delayed_send(self, std::chrono::seconds{1}, retry_atom_v,
                     ++st.retry_token);
}

void flush_progress(self_ptr self);

void on_commit_error(self_ptr self, const caf::error& err,
                     std::vector<std::function<void()>> covered) {
  auto& st = self->state;
  st.committing = false;
  // What the failed commit covered waits for the next one.
  st.waiters.insert(st.waiters.begin(), covered.begin(), covered.end());
  if (err == cluster::errc::fenced) {
    spdlog::info("subscription {}: not its owner any more", st.id());
    self->quit();
    return;
  }
  if (err == cluster::errc::conflict) {
    // Another incarnation of this actor moved it: read it again (the
    // cursor in memory is kept if it is further).
    load(self);
    return;
  }
  spdlog::warn("subscription {}: cannot commit its progress ({}); retrying",
               st.id(), runtime::describe(err).message);
  retry_later(self);
}

/// Commits the cursor and the wanted state when either moved (one commit
/// in flight at a time; what changes meanwhile goes with the next).
void flush_progress(self_ptr self) {
  auto& st = self->state;
  if (!st.loaded || st.committing)
    return;
  auto next = st.progress;
  next.cursor = std::max(next.cursor, st.cursor_target());
  next.state = st.want_state;
  next.reason = st.want_reason;
  if (!st.unsaved && next.cursor == st.progress.cursor &&
      next.state == st.progress.state && next.reason == st.progress.reason) {
    auto done = std::move(st.waiters);
    st.waiters.clear();
    for (auto& f : done)
      f();
    return;
  }
  st.committing = true;
  auto covered = std::move(st.waiters);
  st.waiters.clear();
  self->request(st.env.coordinator, commit_timeout, cluster::commit_atom_v,
                st.key(), st.revision, next.to_json_text())
      .then(
          [self, next, covered](uint64_t rev) {
            auto& s = self->state;
            s.committing = false;
            s.unsaved = false;
            s.revision = rev;
            s.progress = next;
            s.metrics->cursor = next.cursor;
            for (auto& f : covered)
              f();
            flush_progress(self);
            pump(self);
          },
          [self, covered](const caf::error& err) {
            on_commit_error(self, err, covered);
          });
}

void maybe_commit(self_ptr self) {
  flush_progress(self);
}

void set_state(self_ptr self, subscription_state s, std::string reason,
               std::function<void()> then) {
  auto& st = self->state;
  st.want_state = s;
  st.want_reason = std::move(reason);
  if (then)
    st.waiters.push_back(std::move(then));
  flush_progress(self);
}

void disable(self_ptr self, std::string reason) {
  auto& st = self->state;
  if (st.want_state == subscription_state::disabled)
    return;
  spdlog::warn("subscription {}: disabled: {}", st.id(), reason);
  set_state(self, subscription_state::disabled, reason, [self, reason] {
    emit(self, "subscription.disabled",
         {{"subscription_id", self->state.id()}, {"reason", reason}});
  });
}

void read(self_ptr self) {
  auto& st = self->state;
  auto who = st.env.resolve(st.def->server().created_by);
  if (!who) {
    disable(self,
            "its creator " + st.def->server().created_by + " no longer exists");
    return;
  }
  protocol::event_query q;
  if (st.def->pattern()) {
    q.name = *st.def->pattern();
    if (st.def->filter())
      q.filter = *st.def->filter();
  }
  if (st.def->scope())
    q.scope = *st.def->scope();
  q.from_seq = st.position + 1;
  q.limit = std::clamp<size_t>(st.env.read_events, 1, 1000);
  const auto known_at_start = st.known_seq;
  st.reading = true;
  self->request(caf::actor_cast<actors::reader_actor>(st.env.readers),
                read_timeout, actors::query_atom_v, std::move(q),
                std::move(*who))
      .then(
          [self, known_at_start](protocol::query_page& page) {
            auto& s = self->state;
            s.reading = false;
            // The creator again, now that the page is read: an event
            // published after its creator was deleted (the deletion is in
            // the auth view before it is acknowledged) is in this page only
            // if the page was read after it, hence after the deletion. The
            // check when the read started is too early for such an event.
            if (!s.env.resolve(s.def->server().created_by)) {
              disable(self, "its creator " + s.def->server().created_by +
                                " no longer exists");
              return;
            }
            uint64_t last = page.last_examined_seq;
            for (auto& ev : page.events) {
              last = std::max<uint64_t>(last, ev.seq());
              if (ev.seq() <= s.position)
                continue;
              // By pattern, the query applied name, filter and scope
              // already; a topic's rules are matched here.
              if (!s.def->topic() || s.def->matches(ev, s.topic.get()))
                s.pending.push_back(item{std::move(ev), false, {}});
            }
            if (page.next.empty())
              last = std::max(last, known_at_start);
            else
              s.known_seq = std::max(s.known_seq, last + 1);
            s.position = std::max(s.position, last);
            if (!s.pending.empty() && s.metrics->oldest_pending_ns == 0)
              s.metrics->oldest_pending_ns =
                  s.pending.front().ev.accept_time_ns();
            maybe_commit(self);
            pump(self);
          },
          [self](caf::error& err) {
            auto& s = self->state;
            s.reading = false;
            spdlog::warn("subscription {}: cannot read the trail: {}", s.id(),
                         runtime::describe(err).message);
          });
}

/// Reads the next page of dead letters to re-drive (a store read of at
/// most redrive_page small values).
void read_redrive(self_ptr self) {
  auto& st = self->state;
  auto page = st.env.store->list_definitions(flow::dead_letter_prefix(st.id()),
                                             st.redrive_after, redrive_page);
  if (!page || page->empty()) {
    st.redrive_active = false;
    return;
  }
  for (auto& d : *page) {
    if (d.key > st.redrive_until) {
      st.redrive_active = false;
      break;
    }
    st.redrive_after = d.key;
    auto letter = flow::dead_letter::parse_stored(d.value);
    if (!letter)
      continue;
    if (!st.redrive_ids.empty() &&
        std::find(st.redrive_ids.begin(), st.redrive_ids.end(),
                  letter->event.id()) == st.redrive_ids.end())
      continue;
    item it;
    it.ev = letter->event;
    it.redrive = true;
    it.letter = std::move(*letter);
    st.redrive.push_back(std::move(it));
  }
  if (page->size() < redrive_page)
    st.redrive_active = false;
}

void send(self_ptr self) {
  auto& st = self->state;
  auto& queue = st.redrive.empty() ? st.pending : st.redrive;
  st.in_flight_redrive = !st.redrive.empty();
  const auto n = std::min(st.env.batch_events, queue.size());
  const auto now = st.now();
  st.secrets = signing_keys(st.def->server(), now);
  std::vector<flow::delivery_request> reqs;
  reqs.reserve(n);
  for (size_t i = 0; i < n; ++i)
    reqs.push_back(flow::make_request(st.def->destination(), queue[i].ev,
                                      st.secrets, now / 1'000'000'000));
  if (st.head_attempts == 0)
    st.head_first_ns = now;
  st.in_flight = true;
  auto me = caf::actor_cast<subscription_actor>(self);
  st.env.pool->submit(
      std::hash<std::string>{}(st.id()), std::move(reqs),
      [me](batch_result r) { caf::anon_send(me, sent_atom_v, std::move(r)); });
}

/// Stores the head item as a dead letter and moves past it.
void dead_letter(self_ptr self) {
  auto& st = self->state;
  auto& queue = st.in_flight_redrive ? st.redrive : st.pending;
  if (queue.empty())
    return;
  const auto& head = queue.front();
  flow::dead_letter letter;
  letter.event = head.ev;
  letter.attempts = st.head_attempts;
  if (head.redrive) {
    letter.attempts += head.letter.attempts;
    letter.first_attempt_ns = head.letter.first_attempt_ns;
  } else {
    letter.first_attempt_ns = st.head_first_ns;
  }
  letter.last_error = st.last_error;
  letter.last_attempt_ns = st.now();
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event("subscription.dead_lettered",
                                           {{"subscription_id", st.id()},
                                            {"event_id", head.ev.id()},
                                            {"attempts", letter.attempts},
                                            {"last_error", letter.last_error}},
                                           runtime::now_unix_ns()));
  protocol::definition_change change{
      flow::dead_letter_key(st.id(), head.ev.seq()), letter.to_stored(),
      std::nullopt};
  st.writing = true;
  self->request(st.env.writer, write_timeout, actors::define_atom_v,
                std::move(change), std::move(evs))
      .then(
          [self](protocol::definition_result&) {
            auto& s = self->state;
            s.writing = false;
            auto& q = s.in_flight_redrive ? s.redrive : s.pending;
            if (!q.empty())
              q.pop_front();
            ++s.metrics->dead_letters;
            s.head_attempts = 0;
            s.metrics->oldest_pending_ns =
                s.pending.empty() ? 0 : s.pending.front().ev.accept_time_ns();
            maybe_commit(self);
            pump(self);
          },
          [self](caf::error& err) {
            auto& s = self->state;
            s.writing = false;
            spdlog::warn("subscription {}: cannot store a dead letter ({}); "
                         "retrying in 1 s",
                         s.id(), runtime::describe(err).message);
            // The head goes out again (one more attempt) and, still
            // exhausted, is stored again.
            retry_later(self);
          });
}

/// The re-driven items delivered leave the dead letters.
void forget_letters(self_ptr self, std::vector<std::string> keys) {
  for (auto& key : keys)
    self->request(self->state.env.writer, write_timeout, actors::define_atom_v,
                  protocol::definition_change{std::move(key), std::nullopt,
                                              std::nullopt},
                  std::vector<v1::Event>{})
        .then([](protocol::definition_result&) {},
              [](caf::error&) {}); // already gone: nothing to do
}

void on_sent(self_ptr self, batch_result r) {
  auto& st = self->state;
  st.in_flight = false;
  if (r.cancelled)
    return; // the node is stopping
  auto& queue = st.in_flight_redrive ? st.redrive : st.pending;
  const auto n = std::min(r.delivered, queue.size());
  std::vector<std::string> delivered_letters;
  for (size_t i = 0; i < n; ++i) {
    if (queue.front().redrive)
      delivered_letters.push_back(
          flow::dead_letter_key(st.id(), queue.front().ev.seq()));
    queue.pop_front();
  }
  if (!delivered_letters.empty())
    forget_letters(self, std::move(delivered_letters));
  st.metrics->delivered += n;
  st.metrics->attempts += n + (r.failed ? 1 : 0);
  st.metrics->oldest_pending_ns =
      st.pending.empty() ? 0 : st.pending.front().ev.accept_time_ns();
  if (n > 0) {
    st.head_attempts = 0;
    if (st.failing) {
      st.failing = false;
      emit(self, "subscription.recovered", {{"subscription_id", st.id()}});
    }
  }
  if (r.failed && !queue.empty()) {
    ++st.metrics->failures;
    ++st.head_attempts;
    st.last_error = flow::describe_failure(r.failure.status, r.failure.error);
    if (!st.failing) {
      st.failing = true;
      emit(self, "subscription.failing",
           {{"subscription_id", st.id()}, {"last_error", st.last_error}});
    }
    const auto now = st.now();
    switch (flow::classify(r.failure.status)) {
    case flow::answer_class::gone:
      disable(self, "the receiver answered 410 Gone");
      break;
    case flow::answer_class::permanent:
    case flow::answer_class::delivered: // not reached: failed means not 2xx
      dead_letter(self);
      break;
    case flow::answer_class::retry: {
      const auto policy = st.def->retry();
      auto wait = flow::next_backoff(
          policy, st.head_attempts,
          flow::parse_retry_after(r.failure.retry_after, now), st.rng);
      if (flow::exhausted(
              policy, st.head_attempts, st.head_first_ns,
              now + std::chrono::duration_cast<std::chrono::nanoseconds>(wait)
                        .count())) {
        dead_letter(self);
      } else {
        st.retry_pending = true;
        self->delayed_send(self, wait, retry_atom_v, ++st.retry_token);
      }
      break;
    }
    }
  }
  maybe_commit(self);
  pump(self);
}

/// Does the next thing there is to do, if nothing is under way.
void pump(self_ptr self) {
  auto& st = self->state;
  if (!st.loaded || st.want_state != subscription_state::active ||
      st.in_flight || st.writing || st.retry_pending)
    return;
  if (st.redrive.empty() && st.redrive_active)
    read_redrive(self);
  if (!st.redrive.empty() || !st.pending.empty())
    return send(self);
  if (!st.reading && st.known_seq > st.position)
    read(self);
}

/// A part of a cluster-wide subscription takes the state every node was
/// told (a pause or resume made while this node was down).
void reconcile(sub_state& s) {
  if (!s.part.paused)
    return;
  if (*s.part.paused && s.want_state == subscription_state::active) {
    s.want_state = subscription_state::paused;
    s.want_reason.clear();
  } else if (!*s.part.paused && s.want_state == subscription_state::paused) {
    s.want_state = subscription_state::active;
  }
}

void load(self_ptr self) {
  auto& st = self->state;
  self->request(st.env.coordinator, commit_timeout, cluster::progress_atom_v,
                st.key())
      .then(
          [self](cluster::progress& p) {
            auto& s = self->state;
            s.revision = p.revision;
            std::optional<flow::subscription_progress> got;
            if (p.revision != 0)
              if (auto parsed = flow::subscription_progress::parse(p.value))
                got = std::move(*parsed);
            const bool reload = s.loaded;
            if (got && got->incarnation == s.def->server().incarnation) {
              if (reload) {
                // After a conflict: keep what this actor did since (its
                // cursor and wanted state) and commit it over the stored.
                s.progress = std::move(*got);
              } else {
                s.progress = std::move(*got);
                s.want_state = s.progress.state;
                s.want_reason = s.progress.reason;
                s.position = std::max(s.position, s.progress.cursor);
                s.metrics->cursor = s.progress.cursor;
                s.loaded = true;
                reconcile(s);
              }
              flush_progress(self);
              pump(self);
              return;
            }
            // A new subscription (or a new one of a deleted one's id):
            // start where its definition says, committed first.
            flow::subscription_progress fresh;
            fresh.incarnation = s.def->server().incarnation;
            fresh.cursor =
                s.part.fresh_start.value_or(s.def->server().start_seq);
            s.progress = fresh;
            s.want_state = subscription_state::active;
            s.want_reason.clear();
            reconcile(s);
            s.position = std::max(s.position, fresh.cursor);
            s.loaded = true;
            s.unsaved = true;
            flush_progress(self);
          },
          [self](const caf::error& err) {
            spdlog::warn("subscription {}: cannot read its cursor ({}); "
                         "retrying",
                         self->state.id(), runtime::describe(err).message);
            retry_later(self);
          });
}

void start_redrive(self_ptr self, std::vector<std::string> ids,
                   caf::typed_response_promise<uint64_t> rp) {
  auto& st = self->state;
  if ((st.in_flight || st.writing) && st.in_flight_redrive) {
    rp.deliver(caf::make_error(runtime::errc::conflict,
                               "a re-drive is being sent; try again when it "
                               "has ended"));
    return;
  }
  // Count what will go, and where the snapshot ends.
  const auto prefix = flow::dead_letter_prefix(st.id());
  uint64_t count = 0;
  std::string after;
  std::string until;
  for (;;) {
    auto page = st.env.store->list_definitions(prefix, after, 1000);
    if (!page) {
      rp.deliver(std::move(page.error()));
      return;
    }
    for (auto& d : *page) {
      after = d.key;
      if (ids.empty()) {
        ++count;
        until = d.key;
        continue;
      }
      auto letter = flow::dead_letter::parse_stored(d.value);
      if (letter &&
          std::find(ids.begin(), ids.end(), letter->event.id()) != ids.end()) {
        ++count;
        until = d.key;
      }
    }
    if (page->size() < 1000)
      break;
  }
  if (count > 0) {
    st.redrive.clear();
    st.redrive_active = true;
    st.redrive_after.clear();
    st.redrive_until = until;
    st.redrive_ids = std::move(ids);
    // The re-drive goes first, now: a retry waiting for the trail's head
    // event is dropped (its count starts again after the re-drive).
    if (!st.in_flight && !st.writing) {
      st.head_attempts = 0;
      st.retry_pending = false;
      ++st.retry_token;
    }
  }
  emit(self, "subscription.redriven",
       {{"subscription_id", st.id()}, {"count", count}});
  rp.deliver(count);
  pump(self);
}

subscription_actor::behavior_type
subscription_impl(self_ptr self, subscription_env env,
                  std::shared_ptr<const flow::subscription_def> def,
                  std::shared_ptr<const flow::topic_def> topic,
                  std::shared_ptr<subscription_metrics> metrics,
                  subscription_part part) {
  auto& st = self->state;
  st.env = std::move(env);
  st.part = std::move(part);
  if (!st.env.clock)
    st.env.clock = [] { return runtime::now_unix_ns(); };
  st.def = std::move(def);
  st.topic = std::move(topic);
  st.metrics = std::move(metrics);
  st.known_seq = st.env.store ? st.env.store->last_seq() : 0;
  automation::subscribe_to_trail(
      self, st.env.registry, "subscription/" + st.def->id(), st.def->pattern(),
      st.def->pattern() ? st.def->filter() : std::nullopt,
      [self](const caf::error& err) {
        spdlog::warn("subscription {}: no wake-ups from the registry: {}",
                     self->state.id(), runtime::describe(err).message);
      });
  load(self);
  self->delayed_send(self, st.env.poll_interval, poll_atom_v);
  return {[self](state_atom) {
            auto& s = self->state;
            const auto last = s.env.store ? s.env.store->last_seq() : 0;
            const auto cursor = std::max(s.progress.cursor, s.cursor_target());
            const auto oldest = s.metrics->oldest_pending_ns.load();
            json j{{"state", std::string{flow::to_string(s.want_state)}},
                   {"cursor_seq", s.progress.cursor},
                   {"lag_events", last > cursor ? last - cursor : 0},
                   {"lag_seconds",
                    oldest == 0
                        ? 0.0
                        : std::max(0.0, static_cast<double>(
                                            runtime::now_unix_ns() - oldest) /
                                            1e9)},
                   {"attempts", s.metrics->attempts.load()},
                   {"failures", s.metrics->failures.load()},
                   {"dead_letters", s.metrics->dead_letters.load()}};
            if (!s.last_error.empty())
              j["last_error"] = s.last_error;
            if (!s.want_reason.empty())
              j["reason"] = s.want_reason;
            return j.dump();
          },
          [self](pause_atom) {
            auto rp = self->make_response_promise<bool>();
            if (!self->state.loaded) {
              rp.deliver(caf::make_error(runtime::errc::unavailable,
                                         "the subscription is starting"));
              return rp;
            }
            set_state(self, subscription_state::paused, {},
                      [rp]() mutable { rp.deliver(true); });
            return rp;
          },
          [self](resume_atom) {
            auto rp = self->make_response_promise<bool>();
            if (!self->state.loaded) {
              rp.deliver(caf::make_error(runtime::errc::unavailable,
                                         "the subscription is starting"));
              return rp;
            }
            self->state.retry_pending = false;
            self->state.head_attempts = 0;
            set_state(self, subscription_state::active, {},
                      [rp]() mutable { rp.deliver(true); });
            return rp;
          },
          [self](redrive_atom, std::vector<std::string> ids) {
            auto rp = self->make_response_promise<uint64_t>();
            start_redrive(self, std::move(ids), rp);
            return rp;
          },
          [self](deliver_atom, const protocol::event_ptrs& evs) {
            auto& s = self->state;
            for (const auto& ev : evs)
              s.known_seq = std::max<uint64_t>(s.known_seq, ev->seq());
            pump(self);
          },
          [self](sent_atom, batch_result r) { on_sent(self, std::move(r)); },
          [self](retry_atom, uint64_t token) {
            auto& s = self->state;
            if (token != s.retry_token)
              return;
            s.retry_pending = false;
            if (!s.loaded) {
              load(self);
              return;
            }
            flush_progress(self);
            pump(self);
          },
          [self](poll_atom) {
            // Catches what no wake-up announced (events that became visible to
            // the creator, a creator deleted) and moves an idle cursor.
            auto& s = self->state;
            if (s.loaded) {
              if (s.env.store)
                s.known_seq = std::max(s.known_seq, s.env.store->last_seq());
              flush_progress(self);
              pump(self);
            }
            self->delayed_send(self, s.env.poll_interval, poll_atom_v);
          }};
}

} // namespace

subscription_actor
spawn_subscription(caf::actor_system& sys, const subscription_env& env,
                   std::shared_ptr<const flow::subscription_def> def,
                   std::shared_ptr<const flow::topic_def> topic,
                   std::shared_ptr<subscription_metrics> metrics,
                   subscription_part part) {
  return sys.spawn(subscription_impl, env, std::move(def), std::move(topic),
                   std::move(metrics), std::move(part));
}

} // namespace herald::delivery
