#include "actors/routing_table.hpp"

#include <algorithm>
#include <utility>

#include "runtime/errc.hpp"
#include "runtime/subject.hpp"

namespace herald::actors {

namespace {

// Pattern under which a subscription without a name is stored: `>` matches
// every valid name (one or more segments).
constexpr std::string_view match_all_pattern = ">";

} // namespace

bool scope_has_prefix(std::string_view scope,
                      std::string_view prefix) noexcept {
  while (!prefix.empty() && prefix.back() == '/')
    prefix.remove_suffix(1);
  if (prefix.empty())
    return true;
  if (scope.size() < prefix.size() || scope.substr(0, prefix.size()) != prefix)
    return false;
  return scope.size() == prefix.size() || scope[prefix.size()] == '/';
}

bool subscription_matches(const subscription& sub, const v1::Event& ev) {
  if (sub.name && !runtime::pattern_matches(*sub.name, ev.name()))
    return false;
  if (sub.scope && !scope_has_prefix(ev.scope(), *sub.scope))
    return false;
  if (!runtime::can_see(sub.who, ev))
    return false;
  return !sub.filter || sub.filter->matches(ev);
}

// -- local subscriptions ------------------------------------------------------

/// A queue group belongs to the principal that opens it (DESIGN §4): the
/// same NAME from two principals is two groups. NUL cannot occur in a
/// principal name (the peer codec rejects it), so the key is unambiguous.
std::string queue_group_key(std::string_view principal,
                            std::string_view queue) {
  std::string key;
  key.reserve(principal.size() + 1 + queue.size());
  key.append(principal).push_back('\0');
  key.append(queue);
  return key;
}

namespace {

std::string group_key(std::string_view principal, std::string_view queue) {
  return queue_group_key(principal, queue);
}

std::string group_key(const subscription& sub) {
  return group_key(sub.who.name, sub.queue);
}

} // namespace

caf::error routing_table::add(subscription sub, owner_id owner,
                              route_result* handoff) {
  if (sub.id.empty())
    return runtime::make_api_error(runtime::errc::invalid_parameter,
                                   "subscription id must not be empty", "id");
  std::string pattern{match_all_pattern};
  if (sub.name) {
    if (auto err = runtime::validate_pattern(*sub.name, "name"))
      return err;
    pattern = *sub.name;
  }
  orphan_map orphans;
  if (auto i = by_id_.find(sub.id); i != by_id_.end())
    erase_key(i->second, &orphans);
  auto k = next_key_++;
  trie_.insert(pattern, k);
  by_id_.emplace(sub.id, k);
  by_owner_.emplace(owner, k);
  entry e;
  e.sub = std::move(sub);
  e.owner = owner;
  e.pattern = std::move(pattern);
  if (!e.sub.queue.empty()) {
    auto gkey = group_key(e.sub);
    e.grp = &groups_[gkey];
    e.grp->gkey = std::move(gkey);
    e.grp->members.push_back(k); // keys ascend: stays in join order
  }
  entries_.emplace(k, std::move(e));
  // The new subscription may itself take the replaced member's events.
  hand_over(orphans, handoff);
  return caf::error{};
}

void routing_table::erase_key(key k, orphan_map* orphans) {
  auto i = entries_.find(k);
  if (i == entries_.end())
    return;
  auto& e = i->second;
  if (e.grp) {
    auto& members = e.grp->members;
    members.erase(std::find(members.begin(), members.end(), k));
    if (e.sub.gate) {
      // After close() the consumer takes nothing more: the first `taken`
      // assigned events were delivered, the rest never reached the socket.
      auto taken = e.sub.gate->close();
      while (e.trimmed < taken && !e.backlog.empty()) {
        e.backlog.pop_front();
        ++e.trimmed;
      }
      if (!e.backlog.empty()) {
        if (orphans) {
          auto& dst = (*orphans)[group_key(e.sub)];
          dst.insert(dst.end(), e.backlog.begin(), e.backlog.end());
        } else {
          dropped_ += e.backlog.size();
        }
      }
    }
    if (members.empty())
      groups_.erase(group_key(e.sub));
  }
  trie_.erase(e.pattern, k);
  by_id_.erase(e.sub.id);
  auto [first, last] = by_owner_.equal_range(e.owner);
  for (auto j = first; j != last; ++j) {
    if (j->second == k) {
      by_owner_.erase(j);
      break;
    }
  }
  entries_.erase(i);
}

bool routing_table::remove(const std::string& id, route_result* handoff) {
  if (handoff)
    handoff->clear();
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return false;
  orphan_map orphans;
  erase_key(i->second, &orphans);
  hand_over(orphans, handoff);
  return true;
}

std::vector<std::string> routing_table::remove_owner(owner_id owner,
                                                     route_result* handoff) {
  if (handoff)
    handoff->clear();
  std::vector<key> keys;
  auto [first, last] = by_owner_.equal_range(owner);
  for (auto j = first; j != last; ++j)
    keys.push_back(j->second);
  std::vector<std::string> ids;
  ids.reserve(keys.size());
  // Every subscription of the owner goes before any hand-over, so none of
  // its events is handed to another subscription of the same owner.
  orphan_map orphans;
  for (auto k : keys) {
    ids.push_back(entries_.at(k).sub.id);
    erase_key(k, &orphans);
  }
  hand_over(orphans, handoff);
  return ids;
}

const subscription* routing_table::find(const std::string& id) const {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return nullptr;
  return &entries_.at(i->second).sub;
}

bool routing_table::set_identity(const std::string& id,
                                 const runtime::identity& who) {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return false;
  auto& sub = entries_.at(i->second).sub;
  sub.who.groups = who.groups;
  sub.who.roles = who.roles;
  return true;
}

std::optional<routing_table::owner_id>
routing_table::owner_of(const std::string& id) const {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return std::nullopt;
  return entries_.at(i->second).owner;
}

size_t routing_table::owner_count(owner_id owner) const {
  return by_owner_.count(owner);
}

// -- queue groups -------------------------------------------------------------

std::vector<std::string>
routing_table::group_members(const std::string& principal,
                             const std::string& queue) const {
  std::vector<std::string> out;
  auto i = groups_.find(group_key(principal, queue));
  if (i == groups_.end())
    return out;
  for (auto k : i->second.members)
    out.push_back(entries_.at(k).sub.id);
  return out;
}

bool routing_table::has_room(const entry& e) const {
  const auto& gate = e.sub.gate;
  if (!gate)
    return true;
  if (gate->is_closed())
    return false;
  auto cap = gate->capacity();
  return cap == 0 || e.assigned - gate->taken() < cap;
}

routing_table::key routing_table::choose(group& g,
                                         const std::vector<key>& cands) const {
  // Round-robin: start after the member chosen last (cands ascend).
  auto n = cands.size();
  auto start = static_cast<size_t>(
      std::upper_bound(cands.begin(), cands.end(), g.last) - cands.begin());
  if (start == n)
    start = 0;
  // Prefer a member with room, then one that is alive (it will overflow and
  // be cut as a slow consumer), then anyone (the group has no live member
  // that matches; the event is handed over or dropped when it leaves).
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < n; ++i) {
      auto k = cands[(start + i) % n];
      const auto& e = entries_.at(k);
      if (pass == 0 ? has_room(e) : !(e.sub.gate && e.sub.gate->is_closed()))
        return k;
    }
  }
  return cands[start];
}

void routing_table::assign(entry& e, const event_ptr& ev, route_result& out) {
  if (e.epoch != epoch_) {
    e.epoch = epoch_;
    e.out_index = out.local.size();
    out.local.push_back(local_delivery{e.owner, e.sub.id, {}});
  }
  out.local[e.out_index].events.push_back(ev);
  if (!e.grp)
    return;
  ++e.assigned;
  if (!e.sub.gate)
    return;
  // Forget what the consumer has taken, then remember this one.
  auto taken = e.sub.gate->taken();
  while (e.trimmed < taken && !e.backlog.empty()) {
    e.backlog.pop_front();
    ++e.trimmed;
  }
  e.backlog.push_back(ev);
}

void routing_table::hand_over(orphan_map& orphans, route_result* out) {
  if (orphans.empty())
    return;
  if (!out) {
    for (auto& [queue, evs] : orphans)
      dropped_ += evs.size();
    return;
  }
  ++epoch_;
  for (auto& [gkey, evs] : orphans) {
    std::sort(evs.begin(), evs.end(),
              [](const event_ptr& a, const event_ptr& b) {
                return a->seq() < b->seq();
              });
    auto g = groups_.find(gkey);
    for (const auto& ev : evs) {
      candidates_.clear();
      if (g != groups_.end())
        for (auto k : g->second.members)
          if (subscription_matches(entries_.at(k).sub, *ev))
            candidates_.push_back(k);
      if (candidates_.empty()) {
        ++dropped_;
        continue;
      }
      auto k = choose(g->second, candidates_);
      g->second.last = k;
      assign(entries_.at(k), ev, *out);
      ++handed_over_;
    }
  }
}

// -- peers --------------------------------------------------------------------

bool routing_table::add_peer(const std::string& node_id) {
  return peers_.emplace(node_id, peer{}).second;
}

bool routing_table::remove_peer(const std::string& node_id) {
  auto i = peers_.find(node_id);
  if (i == peers_.end())
    return false;
  for (auto& [pattern, count] : i->second.interest)
    peer_trie_.erase(pattern, node_id);
  for (auto& [gp, count] : i->second.groups)
    peer_group_trie_.erase(gp.second, {gp.first, node_id});
  // No group spreads over peers any more: the turn counts go.
  if (peer_group_trie_.empty())
    turns_.clear();
  peers_.erase(i);
  return true;
}

caf::error routing_table::add_peer_interest(const std::string& node_id,
                                            const std::string& pattern,
                                            const std::string& group) {
  auto i = peers_.find(node_id);
  if (i == peers_.end())
    return runtime::make_api_error(runtime::errc::not_found,
                                   "unknown peer node " + node_id, "node");
  if (auto err = runtime::validate_pattern(pattern, "name"))
    return err;
  if (!group.empty()) {
    if (i->second.groups[{group, pattern}]++ == 0)
      peer_group_trie_.insert(pattern, {group, node_id});
    return caf::error{};
  }
  if (i->second.interest[pattern]++ == 0)
    peer_trie_.insert(pattern, node_id);
  return caf::error{};
}

bool routing_table::remove_peer_interest(const std::string& node_id,
                                         const std::string& pattern,
                                         const std::string& group) {
  auto i = peers_.find(node_id);
  if (i == peers_.end())
    return false;
  if (!group.empty()) {
    auto j = i->second.groups.find({group, pattern});
    if (j == i->second.groups.end())
      return false;
    if (--j->second == 0) {
      peer_group_trie_.erase(pattern, {group, node_id});
      i->second.groups.erase(j);
    }
    return true;
  }
  auto j = i->second.interest.find(pattern);
  if (j == i->second.interest.end())
    return false;
  if (--j->second == 0) {
    peer_trie_.erase(pattern, node_id);
    i->second.interest.erase(j);
  }
  return true;
}

bool routing_table::has_peer(const std::string& node_id) const {
  return peers_.count(node_id) > 0;
}

std::vector<std::string> routing_table::peers() const {
  std::vector<std::string> out;
  out.reserve(peers_.size());
  for (auto& kvp : peers_)
    out.push_back(kvp.first);
  return out;
}

// -- routing ------------------------------------------------------------------

void routing_table::route_to_groups(const event_ptr& ev, route_result& out) {
  // One member per group among the matching ones: sort the hits by group,
  // then by key (join order), and pick one per run.
  std::sort(group_hits_.begin(), group_hits_.end(),
            [](const auto& a, const auto& b) {
              if (a.first != b.first)
                return std::less<group*>{}(a.first, b.first);
              return a.second < b.second;
            });
  for (size_t i = 0; i < group_hits_.size();) {
    auto* g = group_hits_[i].first;
    candidates_.clear();
    for (; i < group_hits_.size() && group_hits_[i].first == g; ++i)
      candidates_.push_back(group_hits_[i].second);
    auto k = choose(*g, candidates_);
    g->last = k;
    assign(entries_.at(k), ev, out);
  }
}

routing_table::peer_delivery&
routing_table::peer_slot(const std::string& node_id, route_result& out) {
  auto& p = peers_.find(node_id)->second;
  if (p.epoch != epoch_) {
    p.epoch = epoch_;
    p.out_index = out.peers.size();
    out.peers.push_back(peer_delivery{node_id, {}, {}});
  }
  return out.peers[p.out_index];
}

void routing_table::route_to_peer_groups(const event_ptr& ev,
                                         route_result& out) {
  // peer_group_hits_: (group key, node) sorted and unique. Sort the local
  // hits as route_to_groups does, then give each group one target in turn:
  // this node (when a local member matches) or one of the peers.
  std::sort(group_hits_.begin(), group_hits_.end(),
            [](const auto& a, const auto& b) {
              if (a.first != b.first)
                return std::less<group*>{}(a.first, b.first);
              return a.second < b.second;
            });
  peer_group_done_.assign(peer_group_hits_.size(), false);
  auto remote_range = [this](std::string_view gkey) {
    auto first = std::lower_bound(
        peer_group_hits_.begin(), peer_group_hits_.end(), gkey,
        [](const auto& hit, std::string_view k) { return hit.first < k; });
    auto last = first;
    while (last != peer_group_hits_.end() && last->first == gkey)
      ++last;
    return std::pair{first, last};
  };
  auto give_peer = [&](const std::string& gkey, const std::string& node_id) {
    auto& d = peer_slot(node_id, out);
    if (d.events.empty() || d.events.back() != ev)
      d.events.push_back(ev);
    d.chosen.emplace_back(d.events.size() - 1, gkey);
  };
  for (size_t i = 0; i < group_hits_.size();) {
    auto* g = group_hits_[i].first;
    candidates_.clear();
    for (; i < group_hits_.size() && group_hits_[i].first == g; ++i)
      candidates_.push_back(group_hits_[i].second);
    auto [first, last] = remote_range(g->gkey);
    auto remote = static_cast<size_t>(last - first);
    size_t turn = 0;
    if (remote > 0) {
      for (auto j = first; j != last; ++j)
        peer_group_done_[static_cast<size_t>(j - peer_group_hits_.begin())] =
            true;
      turn = turns_[g->gkey]++ % (remote + 1);
    }
    if (turn == 0) {
      auto k = choose(*g, candidates_);
      g->last = k;
      assign(entries_.at(k), ev, out);
    } else {
      give_peer(g->gkey, (first + static_cast<ptrdiff_t>(turn - 1))->second);
    }
  }
  // Groups with members on peers only.
  for (size_t i = 0; i < peer_group_hits_.size();) {
    if (peer_group_done_[i]) {
      ++i;
      continue;
    }
    const auto& gkey = peer_group_hits_[i].first;
    auto [first, last] = remote_range(gkey);
    auto remote = static_cast<size_t>(last - first);
    auto turn = turns_[gkey]++ % remote;
    give_peer(gkey, (first + static_cast<ptrdiff_t>(turn))->second);
    i = static_cast<size_t>(last - peer_group_hits_.begin());
  }
}

void routing_table::route(const event_ptrs& events, route_result& out) {
  route_impl(events, nullptr, out);
}

void routing_table::route_from_peer(
    const event_ptrs& events,
    const std::vector<std::vector<std::string>>& chosen, route_result& out) {
  route_impl(events, &chosen, out);
}

void routing_table::route_impl(
    const event_ptrs& events,
    const std::vector<std::vector<std::string>>* chosen, route_result& out) {
  static const std::vector<std::string> none;
  out.clear();
  ++epoch_;
  for (size_t idx = 0; idx < events.size(); ++idx) {
    const auto& ev = events[idx];
    if (!ev)
      continue;
    // From a peer: the groups this node was chosen for.
    const auto& picked = chosen && idx < chosen->size() ? (*chosen)[idx] : none;
    match_scratch_.clear();
    group_hits_.clear();
    trie_.match(ev->name(), match_scratch_);
    if (!match_scratch_.empty()) {
      // Parses the event's data at most once for all filters.
      runtime::event_view view{*ev};
      for (auto k : match_scratch_) {
        auto i = entries_.find(k);
        if (i == entries_.end())
          continue;
        auto& e = i->second;
        if (chosen && !e.sub.peer_events)
          continue;
        if (e.grp && chosen &&
            std::find(picked.begin(), picked.end(), e.grp->gkey) ==
                picked.end())
          continue;
        // One pattern per subscription, so a key appears at most once here.
        const auto& sub = e.sub;
        if (sub.scope && !scope_has_prefix(ev->scope(), *sub.scope))
          continue;
        if (!runtime::can_see(sub.who, *ev))
          continue;
        if (sub.filter && !sub.filter->matches(view))
          continue;
        if (e.grp)
          group_hits_.emplace_back(e.grp, k);
        else
          assign(e, ev, out);
      }
    }
    if (chosen) {
      // A peer's event: local subscriptions only, never forwarded again.
      for (const auto& gkey : picked)
        if (std::none_of(
                group_hits_.begin(), group_hits_.end(),
                [&](const auto& hit) { return hit.first->gkey == gkey; }))
          ++dropped_;
      if (!group_hits_.empty())
        route_to_groups(ev, out);
      continue;
    }
    peer_group_hits_.clear();
    if (!peer_group_trie_.empty()) {
      peer_group_trie_.match(ev->name(), peer_group_hits_);
      std::sort(peer_group_hits_.begin(), peer_group_hits_.end());
      peer_group_hits_.erase(
          std::unique(peer_group_hits_.begin(), peer_group_hits_.end()),
          peer_group_hits_.end());
    }
    if (peer_group_hits_.empty()) {
      if (!group_hits_.empty())
        route_to_groups(ev, out);
    } else {
      route_to_peer_groups(ev, out);
    }
    if (peer_trie_.empty())
      continue;
    peer_scratch_.clear();
    peer_trie_.match(ev->name(), peer_scratch_);
    for (auto& node_id : peer_scratch_) {
      if (peers_.find(node_id) == peers_.end())
        continue;
      auto& evs = peer_slot(node_id, out).events;
      // Several patterns of one peer may match, or a group chose it
      // already: forward the event once.
      if (evs.empty() || evs.back() != ev)
        evs.push_back(ev);
    }
  }
}

std::vector<std::pair<routing_table::owner_id, std::string>>
routing_table::gap_subscribers(const std::vector<std::string>& names,
                               bool all_names) const {
  std::vector<key> keys;
  if (all_names) {
    for (auto& [k, e] : entries_)
      keys.push_back(k);
  } else {
    for (auto& name : names)
      trie_.match(name, keys);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::pair<owner_id, std::string>> out;
  for (auto k : keys) {
    auto i = entries_.find(k);
    if (i == entries_.end() || i->second.grp || !i->second.sub.peer_events)
      continue;
    out.emplace_back(i->second.owner, i->second.sub.id);
  }
  return out;
}

} // namespace herald::actors
