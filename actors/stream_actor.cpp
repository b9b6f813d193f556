#include "actors/stream_actor.hpp"

#include <algorithm>
#include <deque>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include <spdlog/spdlog.h>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

// WebSocket close codes (RFC 6455 §7.4.1).
constexpr uint16_t close_going_away = 1001;
constexpr uint16_t close_policy_violation = 1008;
constexpr uint16_t close_internal_error = 1011;
// A close frame's reason is at most 123 bytes.
constexpr size_t max_close_reason = 123;

struct stream_state {
  enum class phase { subscribing, replaying, live };

  node_handles node;
  stream_spec spec;
  std::shared_ptr<stream_sink> sink;
  stream_options opts;
  stream_metrics* metrics = nullptr; // owned by opts.metrics
  phase ph = phase::subscribing;
  /// Queue-group member: shared with the sink and the registry's table.
  std::shared_ptr<queue_gate> gate;

  /// Highest seq pushed to the sink (starts at from_seq - 1).
  uint64_t last_sent = 0;
  /// Every matching event with a seq up to here came (or is coming, via
  /// `pending`) from the replay; live copies of them are duplicates.
  uint64_t replay_high = 0;

  /// Replayed (or formerly held) events not yet pushed; at most one page
  /// or max_held events.
  std::deque<event_ptr> pending;
  /// The running replay pass; `after` is its cursor.
  protocol::event_query query;
  bool more = false;
  bool query_in_flight = false;
  bool waiting_drain = false;

  /// Live events that arrived while replaying (bounded by max_held).
  std::deque<event_ptr> held;
  bool overflowed = false;
  uint64_t dropped_high = 0;

  uint64_t covered() const { return std::max(last_sent, replay_high); }
};

using stream_pointer = caf::stateful_actor<stream_state>*;

void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

std::string format_event(const stream_state& st, const v1::Event& ev) {
  return st.spec.cloudevents ? runtime::to_cloudevent_json_text(ev)
                             : runtime::to_native_json_text(ev);
}

void finish(stream_pointer self, uint16_t code, std::string reason) {
  if (code == close_policy_violation && self->state.node.streams &&
      reason.starts_with("slow_consumer"))
    self->state.node.streams->count_slow_consumer_cut();
  if (reason.size() > max_close_reason)
    reason.resize(max_close_reason);
  self->state.sink->close(code, std::move(reason));
  self->quit();
}

void fail(stream_pointer self, const caf::error& err) {
  auto what = runtime::describe(err);
  spdlog::warn("stream {}: {}: {}", self->state.spec.id, what.code_str(),
               what.message);
  finish(self, close_internal_error,
         std::string{what.code_str()} + ": " + what.message);
}

void pump(stream_pointer self);

void request_page(stream_pointer self) {
  auto& st = self->state;
  st.query_in_flight = true;
  bump(st.metrics->queries);
  self->request(st.node.readers, st.opts.query_timeout, query_atom::value,
                st.query, st.spec.who)
      .then(
          [self](protocol::query_page& page) {
            auto& st = self->state;
            st.query_in_flight = false;
            for (auto& ev : page.events) {
              auto ptr = std::make_shared<const v1::Event>(std::move(ev));
              st.replay_high = std::max(st.replay_high, ptr->seq());
              st.pending.push_back(std::move(ptr));
            }
            st.replay_high = std::max(st.replay_high, page.last_examined_seq);
            if (page.next.empty()) {
              st.more = false;
            } else {
              st.more = true;
              st.query.after = std::move(page.next);
            }
            pump(self);
          },
          [self](caf::error& err) {
            self->state.query_in_flight = false;
            fail(self, err);
          });
}

/// Starts a replay pass: the first with the stream's from_seq/since, later
/// ones (after a held-buffer overflow) from just above what is covered.
void start_pass(stream_pointer self, bool first) {
  auto& st = self->state;
  protocol::event_query q;
  q.name = st.spec.name;
  q.scope = st.spec.scope;
  q.filter = st.spec.filter;
  q.since_ns = st.spec.since_ns;
  q.limit = std::clamp<size_t>(st.opts.page_size, 1, 1000);
  if (first)
    q.from_seq = st.spec.from_seq;
  else
    q.from_seq = st.covered() + 1;
  st.query = std::move(q);
  st.more = true;
  bump(st.metrics->passes);
  request_page(self);
}

/// Pushes one event while replaying, keeping the sink at most half full so
/// the live phase starts with room. Returns false when it has to wait for
/// `drained` (nothing pushed then).
bool push_paced(stream_pointer self, const event_ptr& ev) {
  auto& st = self->state;
  if (st.sink->arm_drained())
    return false;
  if (st.sink->push(format_event(st, *ev), ev->seq()))
    return true;
  // Below half, yet this frame does not fit (a very large one): wait until
  // the sink is empty, which always admits a frame.
  if (st.sink->arm_drained(true))
    return false;
  return st.sink->push(format_event(st, *ev), ev->seq());
}

void go_live(stream_pointer self) {
  auto& st = self->state;
  st.ph = stream_state::phase::live;
  st.held.clear();
  st.pending.clear();
}

/// Drives the replay: sink <- pending <- pages <- held, then live.
void pump(stream_pointer self) {
  auto& st = self->state;
  if (st.ph != stream_state::phase::replaying || st.waiting_drain)
    return;
  if (st.sink->is_consumer_gone()) {
    self->quit();
    return;
  }
  for (;;) {
    while (!st.pending.empty()) {
      const auto& ev = st.pending.front();
      if (ev->seq() <= st.last_sent) {
        st.pending.pop_front();
        continue;
      }
      if (!push_paced(self, ev)) {
        st.waiting_drain = true;
        bump(st.metrics->waits);
        return;
      }
      bump(st.metrics->replayed);
      st.last_sent = ev->seq();
      st.pending.pop_front();
    }
    if (st.query_in_flight)
      return;
    if (st.more) {
      request_page(self);
      return;
    }
    // This replay pass reached the end of the store.
    if (st.overflowed) {
      if (st.covered() < st.dropped_high) {
        start_pass(self, false);
        return;
      }
      st.overflowed = false; // every dropped event has been replayed
    }
    if (st.held.empty()) {
      go_live(self);
      return;
    }
    auto floor = st.covered();
    for (auto& ev : st.held)
      if (ev->seq() > floor)
        st.pending.push_back(std::move(ev));
    st.held.clear();
  }
}

/// Live events while subscribing or replaying: keep those above what the
/// replay covers, up to max_held; beyond, drop them all and replay past.
void hold(stream_pointer self, const event_ptrs& events) {
  auto& st = self->state;
  auto floor = st.covered();
  for (const auto& ev : events) {
    if (!ev || ev->seq() <= floor)
      continue;
    if (!st.overflowed && st.held.size() >= st.opts.max_held) {
      st.overflowed = true;
      bump(st.metrics->overflows);
      if (!st.held.empty())
        st.dropped_high = std::max(st.dropped_high, st.held.back()->seq());
      std::deque<event_ptr>{}.swap(st.held); // release the memory
    }
    if (st.overflowed) {
      st.dropped_high = std::max(st.dropped_high, ev->seq());
      continue;
    }
    st.held.push_back(ev);
    bump(st.metrics->held);
  }
}

void deliver_live(stream_pointer self, const event_ptrs& events) {
  auto& st = self->state;
  for (const auto& ev : events) {
    if (!ev)
      continue;
    // A queue member gets each event once from the registry, but events
    // handed over from a member that left may be older than what it has.
    if (!st.gate && ev->seq() <= st.covered())
      continue;
    if (!st.sink->push(format_event(st, *ev), ev->seq())) {
      if (st.gate) {
        // What it has not taken goes to the other members: no resume seq.
        st.gate->close();
        finish(self, close_policy_violation, "slow_consumer");
        return;
      }
      finish(self, close_policy_violation,
             "slow_consumer resume_from_seq=" + std::to_string(ev->seq()));
      return;
    }
    bump(st.metrics->live);
    st.last_sent = std::max(st.last_sent, ev->seq());
  }
  if (st.sink->is_consumer_gone())
    self->quit();
}

caf::behavior stream_impl(stream_pointer self, node_handles node,
                          stream_spec spec, std::shared_ptr<stream_sink> sink,
                          stream_options opts) {
  auto& st = self->state;
  st.node = std::move(node);
  st.spec = std::move(spec);
  st.sink = std::move(sink);
  st.opts = opts;
  if (!st.opts.metrics)
    st.opts.metrics = std::make_shared<stream_metrics>();
  st.metrics = st.opts.metrics.get();
  if (st.opts.max_held == 0)
    st.opts.max_held = 1;
  if (st.spec.from_seq && *st.spec.from_seq > 0)
    st.last_sent = *st.spec.from_seq - 1;
  // The session waits for this before its 101: call it once, on the
  // subscription's acknowledgement or, failing that, when the actor ends.
  auto subscribed =
      std::make_shared<std::function<void()>>(std::move(st.opts.on_subscribed));
  st.opts.on_subscribed = nullptr;
  auto signal_subscribed = [subscribed] {
    if (auto fn = std::exchange(*subscribed, nullptr))
      fn();
  };
  self->attach_functor(signal_subscribed);
  if (auto stats = st.node.streams) {
    auto key = stats->opened(st.sink);
    self->attach_functor([stats, key] { stats->closed(key); });
  }
  // The sink must not keep the actor alive: a weak reference.
  caf::weak_actor_ptr weak{self->ctrl()};
  st.sink->set_drained([weak] {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), drained_atom::value);
  });
  auto sub = to_subscription(st.spec);
  if (!st.spec.queue.empty()) {
    // The gate's capacity keeps one slot for the frame being written, so a
    // member the registry sees with room never overflows its sink.
    st.gate = std::make_shared<queue_gate>(
        std::max<size_t>(st.sink->max_events(), 2) - 1);
    st.sink->set_gate(st.gate);
    sub.gate = st.gate;
  }
  self->attach_functor([registry = st.node.registry, id = st.spec.id,
                        sink = st.sink, gate = st.gate] {
    // A leaving queue member writes nothing more: the registry hands
    // what is left to the other members.
    if (gate)
      gate->close();
    caf::anon_send(registry, unsubscribe_atom::value, id);
    sink->set_drained(nullptr);
    sink->close(close_going_away, "going_away");
  });
  self->monitor(st.node.registry);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source == self->state.node.registry.address())
      finish(self, close_going_away, "going_away");
  });
  if (st.gate && (st.spec.from_seq || st.spec.since_ns)) {
    // Replaying the history to every member would deliver it many times.
    fail(self,
         runtime::make_api_error(runtime::errc::invalid_parameter,
                                 "queue excludes from_seq and since", "queue"));
    return {};
  }
  self->request(st.node.registry, caf::infinite, subscribe_atom::value,
                std::move(sub), caf::actor_cast<caf::actor>(self))
      .then(
          [self, signal_subscribed](uint64_t) {
            signal_subscribed();
            auto& st = self->state;
            if (st.spec.from_seq || st.spec.since_ns) {
              st.ph = stream_state::phase::replaying;
              start_pass(self, true);
              return;
            }
            st.ph = stream_state::phase::live;
            if (!st.held.empty()) {
              event_ptrs early{st.held.begin(), st.held.end()};
              st.held.clear();
              deliver_live(self, early);
            }
          },
          [self](caf::error& err) { fail(self, err); });
  return {
      [self](deliver_atom, const event_ptrs& events) {
        if (self->state.ph == stream_state::phase::live)
          deliver_live(self, events);
        else
          hold(self, events);
      },
      [self](drained_atom) {
        self->state.waiting_drain = false;
        pump(self);
      },
      [self](identity_atom, runtime::identity& who) -> caf::result<bool> {
        auto& st = self->state;
        st.spec.who.groups = who.groups;
        st.spec.who.roles = who.roles;
        auto rp = self->make_response_promise<bool>();
        self->request(st.node.registry, caf::infinite, identity_atom::value,
                      st.spec.id, std::move(who))
            .then(
                [rp](bool found) mutable { rp.deliver(found); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

} // namespace

uint64_t stream_stats::opened(std::shared_ptr<const stream_sink> sink) {
  std::lock_guard guard{mtx_};
  auto key = ++next_key_;
  open_.emplace(key, std::move(sink));
  return key;
}

void stream_stats::closed(uint64_t key) {
  std::lock_guard guard{mtx_};
  open_.erase(key);
}

stream_stats::totals stream_stats::snapshot() const {
  totals out;
  out.slow_consumer_cuts = cuts_.load(std::memory_order_relaxed);
  std::lock_guard guard{mtx_}; // then each sink's lock: sinks never call us
  out.open = open_.size();
  for (const auto& [key, sink] : open_) {
    auto depth = sink->depth();
    out.buffered += depth;
    out.max_buffered = std::max(out.max_buffered, depth);
  }
  return out;
}

subscription to_subscription(const stream_spec& spec) {
  subscription sub;
  sub.id = spec.id;
  sub.name = spec.name;
  sub.scope = spec.scope;
  sub.filter = spec.filter;
  sub.who = spec.who;
  sub.queue = spec.queue;
  return sub;
}

caf::actor spawn_stream(caf::actor_system& sys, const node_handles& node,
                        stream_spec spec, std::shared_ptr<stream_sink> sink) {
  return spawn_stream(sys, node, std::move(spec), std::move(sink),
                      stream_options{});
}

caf::actor spawn_stream(caf::actor_system& sys, const node_handles& node,
                        stream_spec spec, std::shared_ptr<stream_sink> sink,
                        const stream_options& opts) {
  if (!sink)
    sink = std::make_shared<stream_sink>();
  return sys.spawn(stream_impl, node, std::move(spec), std::move(sink), opts);
}

} // namespace herald::actors
