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

caf::error routing_table::add(subscription sub, owner_id owner) {
  if (sub.id.empty())
    return runtime::make_api_error(runtime::errc::invalid_parameter,
                                   "subscription id must not be empty", "id");
  std::string pattern{match_all_pattern};
  if (sub.name) {
    if (auto err = runtime::validate_pattern(*sub.name, "name"))
      return err;
    pattern = *sub.name;
  }
  if (auto i = by_id_.find(sub.id); i != by_id_.end())
    erase_key(i->second);
  auto k = next_key_++;
  trie_.insert(pattern, k);
  by_id_.emplace(sub.id, k);
  by_owner_.emplace(owner, k);
  entry e;
  e.sub = std::move(sub);
  e.owner = owner;
  e.pattern = std::move(pattern);
  entries_.emplace(k, std::move(e));
  return caf::error{};
}

void routing_table::erase_key(key k) {
  auto i = entries_.find(k);
  if (i == entries_.end())
    return;
  auto& e = i->second;
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

bool routing_table::remove(const std::string& id) {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return false;
  erase_key(i->second);
  return true;
}

std::vector<std::string> routing_table::remove_owner(owner_id owner) {
  std::vector<key> keys;
  auto [first, last] = by_owner_.equal_range(owner);
  for (auto j = first; j != last; ++j)
    keys.push_back(j->second);
  std::vector<std::string> ids;
  ids.reserve(keys.size());
  for (auto k : keys) {
    ids.push_back(entries_.at(k).sub.id);
    erase_key(k);
  }
  return ids;
}

const subscription* routing_table::find(const std::string& id) const {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return nullptr;
  return &entries_.at(i->second).sub;
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
  peers_.erase(i);
  return true;
}

caf::error routing_table::add_peer_interest(const std::string& node_id,
                                            const std::string& pattern) {
  auto i = peers_.find(node_id);
  if (i == peers_.end())
    return runtime::make_api_error(runtime::errc::not_found,
                                   "unknown peer node " + node_id, "node");
  if (auto err = runtime::validate_pattern(pattern, "name"))
    return err;
  if (i->second.interest[pattern]++ == 0)
    peer_trie_.insert(pattern, node_id);
  return caf::error{};
}

bool routing_table::remove_peer_interest(const std::string& node_id,
                                         const std::string& pattern) {
  auto i = peers_.find(node_id);
  if (i == peers_.end())
    return false;
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

void routing_table::route(const event_ptrs& events, route_result& out) {
  out.clear();
  ++epoch_;
  for (const auto& ev : events) {
    if (!ev)
      continue;
    match_scratch_.clear();
    trie_.match(ev->name(), match_scratch_);
    if (!match_scratch_.empty()) {
      // Parses the event's data at most once for all filters.
      runtime::event_view view{*ev};
      for (auto k : match_scratch_) {
        auto i = entries_.find(k);
        if (i == entries_.end())
          continue;
        auto& e = i->second;
        // One pattern per subscription, so a key appears at most once here.
        const auto& sub = e.sub;
        if (sub.scope && !scope_has_prefix(ev->scope(), *sub.scope))
          continue;
        if (!runtime::can_see(sub.who, *ev))
          continue;
        if (sub.filter && !sub.filter->matches(view))
          continue;
        if (e.epoch != epoch_) {
          e.epoch = epoch_;
          e.out_index = out.local.size();
          out.local.push_back(local_delivery{e.owner, sub.id, {}});
        }
        out.local[e.out_index].events.push_back(ev);
      }
    }
    if (peer_trie_.empty())
      continue;
    peer_scratch_.clear();
    peer_trie_.match(ev->name(), peer_scratch_);
    for (auto& node_id : peer_scratch_) {
      auto i = peers_.find(node_id);
      if (i == peers_.end())
        continue;
      auto& p = i->second;
      if (p.epoch != epoch_) {
        p.epoch = epoch_;
        p.out_index = out.peers.size();
        out.peers.push_back(peer_delivery{node_id, {}});
      }
      auto& evs = out.peers[p.out_index].events;
      // Several patterns of one peer may match: forward the event once.
      if (evs.empty() || evs.back() != ev)
        evs.push_back(ev);
    }
  }
}

} // namespace herald::actors
