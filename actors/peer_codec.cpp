#include "actors/peer_codec.hpp"

#include <limits>
#include <memory>
#include <utility>

#include "herald/v1/peer.pb.h"
#include "runtime/errc.hpp"
#include "runtime/event_text.hpp"
#include "runtime/subject.hpp"

namespace herald::actors {

namespace {

// -- encode -------------------------------------------------------------------

void put(const peer_group& in, v1::PeerGroup& out) {
  out.set_principal(in.principal);
  out.set_queue(in.queue);
}

void put(const peer_interest& in, v1::PeerInterest& out) {
  out.set_pattern(in.pattern);
  out.set_count(in.count);
  if (!in.group.queue.empty())
    put(in.group, *out.mutable_group());
}

struct encoder {
  v1::PeerMessage& out;

  void operator()(const peer_snapshot& x) {
    auto& m = *out.mutable_snapshot();
    for (auto& e : x.entries)
      put(e, *m.add_entries());
  }
  void operator()(const peer_delta& x) {
    auto& m = *out.mutable_delta();
    for (auto& e : x.added)
      put(e, *m.add_added());
    for (auto& e : x.removed)
      put(e, *m.add_removed());
  }
  void operator()(const peer_batch& x) {
    auto& m = *out.mutable_batch();
    m.set_batch(x.batch);
    m.mutable_events()->Reserve(static_cast<int>(x.events.size()));
    for (auto& ev : x.events)
      *m.add_events() = *ev;
    for (auto& c : x.choices) {
      auto& mc = *m.add_choices();
      mc.set_event(c.event);
      put(c.group, *mc.mutable_group());
    }
  }
  void operator()(const peer_ack& x) {
    auto& m = *out.mutable_ack();
    for (auto n : x.batches)
      m.add_batches(n);
  }
  void operator()(const peer_loss& x) {
    auto& m = *out.mutable_loss();
    m.set_count(x.count);
    m.set_first_seq(x.first_seq);
    m.set_last_seq(x.last_seq);
    for (auto& n : x.names)
      m.add_names(n);
    m.set_all_names(x.all_names);
  }
};

// -- decode -------------------------------------------------------------------

caf::error invalid(std::string what) {
  return runtime::make_api_error(runtime::errc::invalid_parameter,
                                 "peer message: " + std::move(what), "peer");
}

caf::expected<peer_group> take_group(const v1::PeerGroup& in) {
  if (in.principal().find('\0') != std::string::npos)
    return invalid("principal contains NUL");
  return peer_group{in.principal(), in.queue()};
}

caf::expected<peer_interest> take(const v1::PeerInterest& in) {
  if (!runtime::is_valid_pattern(in.pattern()))
    return invalid("invalid pattern");
  if (in.count() == 0)
    return invalid("interest count 0");
  peer_interest out;
  out.pattern = in.pattern();
  out.count = in.count();
  if (in.has_group()) {
    auto g = take_group(in.group());
    if (!g)
      return std::move(g.error());
    out.group = std::move(*g);
  }
  return out;
}

template <class Repeated>
caf::error take_all(const Repeated& in, std::vector<peer_interest>& out) {
  out.reserve(static_cast<size_t>(in.size()));
  for (auto& e : in) {
    auto x = take(e);
    if (!x)
      return std::move(x.error());
    out.push_back(std::move(*x));
  }
  return caf::error{};
}

caf::expected<peer_message> take_batch(v1::PeerEventBatch& in) {
  if (in.batch() == 0)
    return invalid("batch number 0");
  if (in.events_size() == 0)
    return invalid("empty batch");
  peer_batch out;
  out.batch = in.batch();
  out.events.reserve(static_cast<size_t>(in.events_size()));
  uint64_t last_seq = 0;
  for (auto& ev : *in.mutable_events()) {
    if (ev.seq() <= last_seq)
      return invalid("seqs not ascending");
    if (!runtime::is_valid_name(ev.name()))
      return invalid("invalid event name");
    // Subscribers tell other nodes' events (their seqs) by the node.
    if (ev.node().empty())
      return invalid("event without node");
    last_seq = ev.seq();
    out.events.push_back(runtime::make_shared_event(std::move(ev)));
  }
  out.choices.reserve(static_cast<size_t>(in.choices_size()));
  for (auto& c : in.choices()) {
    if (c.event() >= out.events.size())
      return invalid("choice outside its batch");
    auto g = take_group(c.group());
    if (!g)
      return std::move(g.error());
    if (g->queue.empty())
      return invalid("choice without a queue");
    out.choices.push_back(peer_choice{c.event(), std::move(*g)});
  }
  return peer_message{std::move(out)};
}

caf::expected<peer_message> take_loss(const v1::PeerEventLoss& in) {
  if (in.count() == 0)
    return invalid("loss of 0 events");
  if (in.first_seq() == 0 || in.first_seq() > in.last_seq())
    return invalid("loss seq range");
  if (static_cast<size_t>(in.names_size()) > peer_loss_max_names)
    return invalid("too many names in a loss");
  peer_loss out;
  out.count = in.count();
  out.first_seq = in.first_seq();
  out.last_seq = in.last_seq();
  out.all_names = in.all_names();
  for (auto& n : in.names()) {
    if (!runtime::is_valid_name(n))
      return invalid("invalid name in a loss");
    out.names.push_back(n);
  }
  return peer_message{std::move(out)};
}

} // namespace

std::string encode_peer_message(const peer_message& msg) {
  v1::PeerMessage out;
  std::visit(encoder{out}, msg);
  return out.SerializeAsString();
}

caf::expected<peer_message> decode_peer_message(std::string_view bytes) {
  v1::PeerMessage in;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return invalid("not a PeerMessage");
  switch (in.body_case()) {
  case v1::PeerMessage::kSnapshot: {
    peer_snapshot out;
    if (auto err = take_all(in.snapshot().entries(), out.entries))
      return err;
    return peer_message{std::move(out)};
  }
  case v1::PeerMessage::kDelta: {
    peer_delta out;
    if (auto err = take_all(in.delta().added(), out.added))
      return err;
    if (auto err = take_all(in.delta().removed(), out.removed))
      return err;
    if (out.added.empty() && out.removed.empty())
      return invalid("empty delta");
    return peer_message{std::move(out)};
  }
  case v1::PeerMessage::kBatch:
    return take_batch(*in.mutable_batch());
  case v1::PeerMessage::kAck: {
    peer_ack out;
    if (in.ack().batches_size() == 0)
      return invalid("empty ack");
    for (auto n : in.ack().batches()) {
      if (n == 0)
        return invalid("ack of batch 0");
      out.batches.push_back(n);
    }
    return peer_message{std::move(out)};
  }
  case v1::PeerMessage::kLoss:
    return take_loss(in.loss());
  default:
    return invalid("no body");
  }
}

} // namespace herald::actors
