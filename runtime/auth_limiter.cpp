// login_limiter (auth.hpp): sliding-window failure logs per (user, ip) and
// per ip, in two hash maps keyed with SipHash (crypto_shorthash, random key:
// the keys are attacker-chosen) and one recency list for eviction.
#include "runtime/auth.hpp"

#include <algorithm>
#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <sodium.h>

namespace herald::runtime::auth {

namespace {

using clock = login_limiter::clock;

class keyed_hash {
public:
  keyed_hash() {
    static const bool sodium_ok = sodium_init() >= 0;
    (void)sodium_ok;
    crypto_shorthash_keygen(key_);
  }
  size_t operator()(const std::string& s) const noexcept {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(s.data()),
                     s.size(), key_);
    size_t h = 0;
    static_assert(sizeof h <= sizeof out);
    std::memcpy(&h, out, sizeof h);
    return h;
  }

private:
  unsigned char key_[crypto_shorthash_KEYBYTES];
};

// Length-prefixed so that no (user, ip) pair collides with another.
std::string pair_key(std::string_view user, std::string_view ip) {
  std::string key = std::to_string(user.size());
  key += ':';
  key += user;
  key += ip;
  return key;
}

} // namespace

struct login_limiter::state {
  enum class kind : uint8_t { pair, ip };
  struct recent {
    kind which;
    std::string key;
  };
  struct entry {
    std::vector<clock::time_point> failures; // oldest first, <= the limit
    clock::time_point last;                  // newest failure
    std::list<recent>::iterator pos;         // in `recency`
  };
  using table = std::unordered_map<std::string, entry, keyed_hash>;

  mutable std::mutex mtx;
  table pairs;               // guarded by mtx
  table ips;                 // guarded by mtx
  std::list<recent> recency; // least recently failed first; guarded by mtx

  table& of(kind k) { return k == kind::pair ? pairs : ips; }
  size_t size() const { return pairs.size() + ips.size(); }

  void erase(table::iterator it, table& t) {
    recency.erase(it->second.pos);
    t.erase(it);
  }

  void pop_oldest() {
    auto& t = of(recency.front().which);
    erase(t.find(recency.front().key), t);
  }

  // Forgets entries whose failures have all left the window. They sit at
  // the front of `recency` while time moves forward, so this is O(dropped).
  void drop_expired(clock::time_point now, clock::duration window) {
    while (!recency.empty()) {
      auto& t = of(recency.front().which);
      auto it = t.find(recency.front().key);
      if (it->second.last + window > now)
        break;
      erase(it, t);
    }
  }

  // Makes room for one more entry: the least recently failed ones go.
  void make_room(size_t max_entries) {
    while (size() >= max_entries && !recency.empty())
      pop_oldest();
  }

  void add_failure(kind k, std::string key, size_t limit, size_t max_entries,
                   clock::time_point now, clock::duration window) {
    auto& t = of(k);
    auto it = t.find(key);
    if (it == t.end()) {
      make_room(max_entries);
      recency.push_back({k, key});
      it = t.emplace(std::move(key), entry{{}, now, std::prev(recency.end())})
               .first;
    } else {
      recency.splice(recency.end(), recency, it->second.pos);
    }
    auto& e = it->second;
    std::erase_if(e.failures,
                  [&](clock::time_point t0) { return t0 + window <= now; });
    if (e.failures.size() >= limit)
      e.failures.erase(e.failures.begin(),
                       e.failures.begin() + static_cast<ptrdiff_t>(
                                                e.failures.size() - limit + 1));
    e.failures.push_back(now);
    e.last = std::max(e.last, now);
  }

  // How long until fewer than `limit` failures are in the window.
  std::optional<clock::duration>
  retry_after(const table& t, const std::string& key, size_t limit,
              clock::time_point now, clock::duration window) const {
    auto it = t.find(key);
    if (limit == 0 || it == t.end())
      return std::nullopt;
    std::vector<clock::time_point> live;
    for (auto t0 : it->second.failures)
      if (t0 + window > now)
        live.push_back(t0);
    if (live.size() < limit)
      return std::nullopt;
    std::sort(live.begin(), live.end());
    return live[live.size() - limit] + window - now;
  }
};

login_limiter::login_limiter() : login_limiter(options{}) {}

login_limiter::login_limiter(options opts)
    : opts_{opts}, state_{std::make_unique<state>()} {
  // One pair and one ip at least, or nothing would ever be limited.
  opts_.max_entries = std::max<size_t>(opts_.max_entries, 2);
}

login_limiter::~login_limiter() = default;

std::optional<std::chrono::seconds>
login_limiter::blocked(std::string_view user, std::string_view ip,
                       clock::time_point now) const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  const auto by_pair =
      state_->retry_after(state_->pairs, pair_key(user, ip),
                          opts_.max_failures_per_user_ip, now, opts_.window);
  const auto by_ip =
      state_->retry_after(state_->ips, std::string{ip},
                          opts_.max_failures_per_ip, now, opts_.window);
  if (!by_pair && !by_ip)
    return std::nullopt;
  const auto wait = std::max(by_pair.value_or(clock::duration::zero()),
                             by_ip.value_or(clock::duration::zero()));
  return std::max(std::chrono::ceil<std::chrono::seconds>(wait),
                  std::chrono::seconds{1});
}

void login_limiter::record_failure(std::string_view user, std::string_view ip,
                                   clock::time_point now) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->drop_expired(now, opts_.window);
  if (opts_.max_failures_per_user_ip > 0)
    state_->add_failure(state::kind::pair, pair_key(user, ip),
                        opts_.max_failures_per_user_ip, opts_.max_entries, now,
                        opts_.window);
  if (opts_.max_failures_per_ip > 0)
    state_->add_failure(state::kind::ip, std::string{ip},
                        opts_.max_failures_per_ip, opts_.max_entries, now,
                        opts_.window);
}

void login_limiter::record_success(std::string_view user, std::string_view ip,
                                   clock::time_point) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  auto it = state_->pairs.find(pair_key(user, ip));
  if (it != state_->pairs.end())
    state_->erase(it, state_->pairs);
}

size_t login_limiter::entries() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->size();
}

} // namespace herald::runtime::auth
