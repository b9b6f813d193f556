#include "actors/cluster/membership_table.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace herald::cluster {

namespace {

constexpr uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr uint64_t fnv_prime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t h, std::string_view bytes) noexcept {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

/// splitmix64's finalizer: FNV-1a alone leaves the high bits of keys that
/// differ in their last byte too alike for a fair highest-wins comparison.
uint64_t mix(uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace

uint64_t rendezvous_score(std::string_view member_id,
                          std::string_view key) noexcept {
  auto h = fnv1a(fnv_offset, member_id);
  h = fnv1a(h, std::string_view{"\0", 1});
  return mix(fnv1a(h, key));
}

namespace {
constexpr std::string_view pinned_prefix = "on/";
} // namespace

std::string pinned_key(std::string_view node_id, std::string_view object) {
  std::string out{pinned_prefix};
  out.append(node_id).append("/").append(object);
  return out;
}

membership_table::membership_table(std::string self_id)
    : self_id_(std::move(self_id)) {}

bool membership_table::update(std::vector<member> live) {
  std::map<std::string, member> by_id;
  for (auto& m : live) {
    auto id = m.id;
    by_id.insert_or_assign(std::move(id), std::move(m));
  }
  std::vector<member> sorted;
  sorted.reserve(by_id.size());
  for (auto& [id, m] : by_id)
    sorted.push_back(std::move(m));
  if (sorted == current_.members)
    return false;
  current_.members = std::move(sorted);
  ++current_.view;
  self_live_ = contains(current_, self_id_);
  return true;
}

ownership membership_table::owner_of(std::string_view key) const {
  ownership out;
  out.view = current_.view;
  if (key.starts_with(pinned_prefix)) {
    auto rest = key.substr(pinned_prefix.size());
    auto node = rest.substr(0, rest.find('/'));
    if (contains(current_, node)) {
      out.owner = std::string{node};
      out.local = self_live_ && node == self_id_;
    }
    return out;
  }
  const member* winner = nullptr;
  uint64_t best = 0;
  // Members are sorted by id, so on a tie the first (smaller) id stays.
  for (const auto& m : current_.members) {
    auto score = rendezvous_score(m.id, key);
    if (winner == nullptr || score > best) {
      best = score;
      winner = &m;
    }
  }
  if (winner != nullptr) {
    out.owner = winner->id;
    out.local = self_live_ && winner->id == self_id_;
  }
  return out;
}

} // namespace herald::cluster
