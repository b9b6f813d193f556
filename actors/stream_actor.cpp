#include "actors/stream_actor.hpp"

#include <algorithm>
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
#include "runtime/event_text.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

// WebSocket close codes (RFC 6455 §7.4.1).
constexpr uint16_t close_going_away = 1001;
constexpr uint16_t close_policy_violation = 1008;
constexpr uint16_t close_internal_error = 1011;
// A close frame's reason is at most 123 bytes.
constexpr size_t max_close_reason = 123;

/// The cursor's output: the stream's sink, one formatted frame per event.
class sink_output final : public replay_cursor::output {
public:
  stream_sink* sink = nullptr; // owned by stream_state::sink
  bool cloudevents = false;

  /// Keeps the sink at most half full while replaying, so the live phase
  /// starts with room.
  using event_ptr = replay_cursor::event_ptr;

  bool push_paced(const event_ptr& ev) override {
    if (sink->arm_drained())
      return false;
    auto text = format(ev);
    if (sink->push(text, ev->seq()))
      return true;
    // Below half, yet this frame does not fit (a very large one): wait until
    // the sink is empty, which always admits a frame.
    if (sink->arm_drained(true))
      return false;
    return sink->push(std::move(text), ev->seq());
  }

  bool push(const event_ptr& ev) override {
    return sink->push(format(ev), ev->seq());
  }

  bool consumer_gone() const override { return sink->is_consumer_gone(); }

private:
  /// Shared with every other stream sending `ev` in this format (rendered
  /// once per event: runtime/event_text.hpp).
  runtime::shared_text format(const event_ptr& ev) const {
    return runtime::event_text(ev, cloudevents
                                       ? runtime::text_format::cloudevent
                                       : runtime::text_format::native);
  }
};

struct stream_state {
  node_handles node;
  stream_spec spec;
  std::shared_ptr<stream_sink> sink;
  stream_options opts;
  stream_metrics* metrics = nullptr; // owned by opts.metrics
  /// Queue-group member: shared with the sink and the registry's table.
  std::shared_ptr<queue_gate> gate;
  /// Replay, held events, seam and live (actors/replay_cursor.hpp).
  replay_cursor cursor;
  sink_output out;
  /// The running replay pass; `after` is its cursor.
  protocol::event_query query;
};

using stream_pointer = caf::stateful_actor<stream_state>*;

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

/// The query of a replay pass starting at `from_seq`.
protocol::event_query pass_query(const stream_state& st,
                                 std::optional<uint64_t> from_seq) {
  protocol::event_query q;
  q.name = st.spec.name;
  q.scope = st.spec.scope;
  q.filter = st.spec.filter;
  q.since_ns = st.spec.since_ns;
  q.limit = std::clamp<size_t>(st.opts.page_size, 1, 1000);
  q.from_seq = from_seq;
  return q;
}

void request_page(stream_pointer self);

/// Does what the cursor says.
void apply(stream_pointer self, const replay_cursor::step& s) {
  auto& st = self->state;
  using kind = replay_cursor::step::kind;
  switch (s.what) {
  case kind::none:
    return;
  case kind::query:
    if (s.new_pass)
      st.query = pass_query(st, s.from_seq);
    request_page(self);
    return;
  case kind::stop:
    self->quit();
    return;
  case kind::slow_consumer:
    if (st.gate) {
      // What it has not taken goes to the other members: no resume seq.
      st.gate->close();
      finish(self, close_policy_violation, "slow_consumer");
      return;
    }
    finish(self, close_policy_violation,
           "slow_consumer resume_from_seq=" +
               std::to_string(s.resume_from.value_or(0)));
    return;
  }
}

void request_page(stream_pointer self) {
  auto& st = self->state;
  self->request(st.node.readers, st.opts.query_timeout, query_atom::value,
                st.query, st.spec.who)
      .then(
          [self](protocol::query_page& page) {
            auto& st = self->state;
            event_ptrs events;
            events.reserve(page.events.size());
            for (auto& ev : page.events)
              events.push_back(
                  std::make_shared<const v1::Event>(std::move(ev)));
            const bool more = !page.next.empty();
            if (more)
              st.query.after = std::move(page.next);
            apply(self,
                  st.cursor.on_page(std::move(events), page.last_examined_seq,
                                    more, st.out));
          },
          [self](caf::error& err) { fail(self, err); });
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
  st.out.sink = st.sink.get();
  st.out.cloudevents = st.spec.cloudevents;
  st.cursor =
      replay_cursor{{st.spec.from_seq, st.spec.from_seq || st.spec.since_ns,
                     !st.spec.queue.empty(), st.opts.max_held},
                    st.metrics};
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
                std::move(sub),
                caf::actor_cast<protocol::subscriber_actor>(self))
      .then(
          [self, signal_subscribed](uint64_t) {
            signal_subscribed();
            auto& st = self->state;
            apply(self, st.cursor.on_subscribed(st.out));
          },
          [self](caf::error& err) { fail(self, err); });
  return {
      [self](deliver_atom, const event_ptrs& events) {
        auto& st = self->state;
        // Events forwarded by peers carry their own node's seqs. Handles
        // without a node id (a node of one) take every event as local.
        auto remote = [&](const event_ptr& ev) {
          return ev && !st.node.node_id.empty() && !ev->node().empty() &&
                 ev->node() != st.node.node_id;
        };
        if (std::none_of(events.begin(), events.end(), remote)) {
          apply(self, st.cursor.on_live(events, st.out));
          return;
        }
        event_ptrs local;
        event_ptrs others;
        for (auto& ev : events)
          (remote(ev) ? others : local).push_back(ev);
        if (!local.empty())
          apply(self, st.cursor.on_live(local, st.out));
        if (!others.empty())
          apply(self, st.cursor.on_remote(others, st.out));
      },
      [self](peer_gap_atom, const std::string& node, uint64_t first_seq,
             uint64_t last_seq, uint64_t) {
        // A peer dropped events this stream may have wanted (its queue for
        // this node overflowed): like a slow consumer, the stream closes;
        // this node's own events resume from resume_from_seq.
        auto& st = self->state;
        if (st.cursor.current() == replay_cursor::phase::closed)
          return;
        finish(self, close_policy_violation,
               "slow_consumer resume_from_seq=" +
                   std::to_string(st.cursor.last_sent() + 1) + " peer=" + node +
                   " lost=" + std::to_string(first_seq) + "-" +
                   std::to_string(last_seq));
      },
      [self](drained_atom) {
        auto& st = self->state;
        apply(self, st.cursor.on_drained(st.out));
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
  // Streams take every node's events (replay_cursor::on_remote); a plain
  // one closes when a peer lost events for it.
  sub.peer_events = true;
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
