#include "actors/peer_outbox.hpp"

#include <algorithm>

namespace herald::actors {

namespace {

peer_group split_group_key(const std::string& key) {
  auto nul = key.find('\0');
  if (nul == std::string::npos)
    return peer_group{{}, key};
  return peer_group{key.substr(0, nul), key.substr(nul + 1)};
}

} // namespace

peer_outbox::peer_outbox(peer_window_options opts) : opts_(opts) {
  opts_.max_batches_in_flight =
      std::max<size_t>(opts_.max_batches_in_flight, 1);
  opts_.max_events_in_flight = std::max<size_t>(opts_.max_events_in_flight, 1);
  opts_.max_batch_events = std::max<size_t>(opts_.max_batch_events, 1);
}

peer_outbox::output
peer_outbox::push(const protocol::event_ptrs& events,
                  const std::vector<std::pair<size_t, std::string>>& chosen) {
  output out;
  auto c = chosen.begin();
  for (size_t i = 0; i < events.size(); ++i) {
    item it;
    it.event = events[i];
    for (; c != chosen.end() && c->first == i; ++c)
      it.groups.push_back(c->second);
    if (!it.event)
      continue;
    it.bytes = it.event->ByteSizeLong();
    for (auto& g : it.groups)
      it.bytes += g.size();
    queued_bytes_ += it.bytes;
    queue_.push_back(std::move(it));
  }
  drain(out);
  // What the window did not take must fit the queue's bounds: drop the
  // newest until it does (they are reported in seq order anyway).
  while (!queue_.empty() && (queue_.size() > opts_.max_queued_events ||
                             queued_bytes_ > opts_.max_queued_bytes)) {
    drop(queue_.back());
    queued_bytes_ -= queue_.back().bytes;
    queue_.pop_back();
    ++out.dropped;
  }
  // With nothing in flight, a loss can go at once.
  drain(out);
  return out;
}

peer_outbox::output peer_outbox::ack(const std::vector<uint64_t>& batches) {
  output out;
  for (auto n : batches) {
    auto i = in_flight_.find(n);
    if (i == in_flight_.end())
      continue;
    in_flight_events_ -= i->second;
    in_flight_.erase(i);
  }
  drain(out);
  return out;
}

size_t peer_outbox::clear() {
  auto n = queue_.size();
  queue_.clear();
  queued_bytes_ = 0;
  in_flight_.clear();
  in_flight_events_ = 0;
  loss_ = peer_loss{};
  loss_names_.clear();
  return n;
}

void peer_outbox::drop(const item& it) {
  auto seq = it.event->seq();
  if (loss_.count == 0 || seq < loss_.first_seq)
    loss_.first_seq = seq;
  loss_.last_seq = std::max(loss_.last_seq, seq);
  ++loss_.count;
  if (!loss_.all_names) {
    loss_names_.insert(it.event->name());
    if (loss_names_.size() > peer_loss_max_names) {
      loss_.all_names = true;
      loss_names_.clear();
    }
  }
}

void peer_outbox::drain(output& out) {
  auto window_open = [this] {
    return in_flight_.size() < opts_.max_batches_in_flight &&
           in_flight_events_ < opts_.max_events_in_flight;
  };
  while (!queue_.empty() && window_open()) {
    auto n = std::min({queue_.size(), opts_.max_batch_events,
                       opts_.max_events_in_flight - in_flight_events_});
    peer_batch b;
    b.batch = next_batch_++;
    b.events.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto& it = queue_.front();
      for (auto& g : it.groups)
        b.choices.push_back(
            peer_choice{static_cast<uint32_t>(i), split_group_key(g)});
      queued_bytes_ -= it.bytes;
      b.events.push_back(std::move(it.event));
      queue_.pop_front();
    }
    in_flight_.emplace(b.batch, n);
    in_flight_events_ += n;
    out.send.emplace_back(std::move(b));
  }
  // The loss report follows the batches queued before the drop; it is not
  // acked, and at most one goes per window opening.
  if (loss_.count > 0 && queue_.empty() && window_open()) {
    loss_.names.assign(loss_names_.begin(), loss_names_.end());
    out.send.emplace_back(std::move(loss_));
    loss_ = peer_loss{};
    loss_names_.clear();
  }
}

} // namespace herald::actors
