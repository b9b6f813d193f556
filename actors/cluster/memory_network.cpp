#include "actors/cluster/memory_network.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace herald::cluster {

namespace {

using node_pair = std::pair<std::string, std::string>;

/// The undirected key of a connection.
node_pair connection(const std::string& a, const std::string& b) {
  return a < b ? node_pair{a, b} : node_pair{b, a};
}

} // namespace

/// Everything the network knows, shared with the link actors. Every
/// function ending in _locked expects `mtx` held. Sends happen under the
/// mutex, so the order in which they are decided is the order in which
/// they enter the endpoints' mailboxes.
struct memory_network::state {
  struct node {
    peer_link link;
    peer_endpoint endpoint; ///< invalid until attached
  };
  struct direction {
    bool holding = false;
    std::deque<std::string> waiting;
    link_counters counters;
  };

  mutable std::mutex mtx;
  std::map<std::string, node> nodes;
  std::set<node_pair> cuts;
  std::map<node_pair, direction> directions; ///< keyed (from, to)

  bool attached_locked(const std::string& id) const {
    auto i = nodes.find(id);
    return i != nodes.end() && i->second.endpoint;
  }

  bool up_locked(const std::string& a, const std::string& b) const {
    return a != b && attached_locked(a) && attached_locked(b) &&
           cuts.count(connection(a, b)) == 0;
  }

  void deliver_locked(const std::string& from, const std::string& to,
                      direction& d, std::string payload) {
    caf::anon_send(nodes.at(to).endpoint, link_recv_atom::value, from,
                   std::move(payload));
    ++d.counters.delivered;
  }

  /// Both directions of a–b lose what waits on them.
  void drop_waiting_locked(const std::string& a, const std::string& b) {
    for (auto key : {node_pair{a, b}, node_pair{b, a}}) {
      auto i = directions.find(key);
      if (i == directions.end())
        continue;
      i->second.counters.dropped += i->second.waiting.size();
      i->second.waiting.clear();
    }
  }

  /// a–b goes down (it was up): waiting messages are lost, both hear it.
  void down_locked(const std::string& a, const std::string& b) {
    drop_waiting_locked(a, b);
    caf::anon_send(nodes.at(a).endpoint, link_down_atom::value, b);
    caf::anon_send(nodes.at(b).endpoint, link_down_atom::value, a);
  }

  void up_notify_locked(const std::string& a, const std::string& b) {
    caf::anon_send(nodes.at(a).endpoint, link_up_atom::value, b);
    caf::anon_send(nodes.at(b).endpoint, link_up_atom::value, a);
  }

  void send(const std::string& from, const std::string& to,
            std::string payload) {
    std::lock_guard guard{mtx};
    auto& d = directions[{from, to}];
    ++d.counters.sent;
    if (!up_locked(from, to)) {
      ++d.counters.dropped;
      return;
    }
    if (d.holding) {
      d.waiting.push_back(std::move(payload));
      return;
    }
    deliver_locked(from, to, d, std::move(payload));
  }

  /// The endpoint of `id` goes away: every peer that was up sees it down.
  void detach_locked(const std::string& id) {
    for (auto& [peer, n] : nodes)
      if (up_locked(id, peer)) {
        drop_waiting_locked(id, peer);
        caf::anon_send(n.endpoint, link_down_atom::value, id);
      }
    nodes.at(id).endpoint = peer_endpoint{};
  }

  void attach(const std::string& id, const peer_endpoint& ep) {
    std::lock_guard guard{mtx};
    auto i = nodes.find(id);
    if (i == nodes.end() || i->second.endpoint == ep)
      return;
    if (i->second.endpoint)
      detach_locked(id);
    i->second.endpoint = ep;
    for (auto& [peer, n] : nodes)
      if (up_locked(id, peer))
        up_notify_locked(id, peer);
  }

  /// The endpoint `source` of `id` terminated (ignored when replaced).
  void endpoint_down(const std::string& id, const caf::actor_addr& source) {
    std::lock_guard guard{mtx};
    auto i = nodes.find(id);
    if (i != nodes.end() && i->second.endpoint &&
        i->second.endpoint.address() == source)
      detach_locked(id);
  }

  std::vector<std::string> peers(const std::string& id) const {
    std::lock_guard guard{mtx};
    std::vector<std::string> out;
    for (auto& [peer, n] : nodes)
      if (up_locked(id, peer))
        out.push_back(peer);
    return out;
  }

  size_t release_locked(const std::string& from, const std::string& to,
                        size_t n) {
    auto i = directions.find({from, to});
    if (i == directions.end())
      return 0;
    auto& d = i->second;
    size_t done = 0;
    // Only messages of an up link wait (a cut drops them), so each one can
    // be delivered.
    while (done < n && !d.waiting.empty()) {
      auto payload = std::move(d.waiting.front());
      d.waiting.pop_front();
      deliver_locked(from, to, d, std::move(payload));
      ++done;
    }
    return done;
  }
};

namespace {

peer_link::behavior_type memory_link(peer_link::pointer self,
                                     std::shared_ptr<memory_network::state> net,
                                     std::string id) {
  self->set_down_handler(
      [net, id](caf::down_msg& msg) { net->endpoint_down(id, msg.source); });
  return {
      [net, id](link_send_atom, const std::string& to,
                const std::string& payload) { net->send(id, to, payload); },
      [self, net, id](link_attach_atom, const peer_endpoint& ep) {
        if (!ep)
          return;
        self->monitor(ep);
        net->attach(id, ep);
      },
      [net, id](link_peers_atom) { return net->peers(id); },
  };
}

} // namespace

memory_network::memory_network(caf::actor_system& sys)
    : sys_(sys), state_(std::make_shared<state>()) {}

memory_network::~memory_network() {
  std::vector<peer_link> links;
  {
    std::lock_guard guard{state_->mtx};
    for (auto& [id, n] : state_->nodes)
      links.push_back(n.link);
    state_->nodes.clear();
  }
  for (auto& l : links)
    caf::anon_send_exit(l, caf::exit_reason::user_shutdown);
}

peer_link memory_network::add_node(const std::string& id) {
  std::lock_guard guard{state_->mtx};
  auto i = state_->nodes.find(id);
  if (i != state_->nodes.end())
    return i->second.link;
  auto link = sys_.spawn(memory_link, state_, id);
  state_->nodes.emplace(id, state::node{link, peer_endpoint{}});
  return link;
}

peer_link memory_network::link_of(const std::string& id) const {
  std::lock_guard guard{state_->mtx};
  auto i = state_->nodes.find(id);
  return i == state_->nodes.end() ? peer_link{} : i->second.link;
}

void memory_network::cut(const std::string& a, const std::string& b) {
  std::lock_guard guard{state_->mtx};
  if (a == b || state_->cuts.count(connection(a, b)) != 0)
    return;
  const bool was_up = state_->up_locked(a, b);
  state_->cuts.insert(connection(a, b));
  if (was_up)
    state_->down_locked(a, b);
}

void memory_network::heal(const std::string& a, const std::string& b) {
  std::lock_guard guard{state_->mtx};
  if (state_->cuts.erase(connection(a, b)) == 0)
    return;
  if (state_->up_locked(a, b))
    state_->up_notify_locked(a, b);
}

void memory_network::isolate(const std::string& node) {
  std::vector<std::string> others;
  {
    std::lock_guard guard{state_->mtx};
    for (auto& [id, n] : state_->nodes)
      if (id != node)
        others.push_back(id);
  }
  for (auto& other : others)
    cut(node, other);
}

bool memory_network::is_cut(const std::string& a, const std::string& b) const {
  std::lock_guard guard{state_->mtx};
  return state_->cuts.count(connection(a, b)) != 0;
}

bool memory_network::is_up(const std::string& a, const std::string& b) const {
  std::lock_guard guard{state_->mtx};
  return state_->up_locked(a, b);
}

void memory_network::hold(const std::string& from, const std::string& to) {
  std::lock_guard guard{state_->mtx};
  state_->directions[{from, to}].holding = true;
}

size_t memory_network::release(const std::string& from, const std::string& to,
                               size_t n) {
  std::lock_guard guard{state_->mtx};
  return state_->release_locked(from, to, n);
}

size_t memory_network::resume(const std::string& from, const std::string& to) {
  std::lock_guard guard{state_->mtx};
  auto done =
      state_->release_locked(from, to, std::numeric_limits<size_t>::max());
  state_->directions[{from, to}].holding = false;
  return done;
}

bool memory_network::reorder(const std::string& from, const std::string& to,
                             const std::vector<size_t>& order) {
  std::lock_guard guard{state_->mtx};
  auto& waiting = state_->directions[{from, to}].waiting;
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != i)
      return false;
  if (order.size() != waiting.size())
    return false;
  std::deque<std::string> out;
  for (auto i : order)
    out.push_back(std::move(waiting[i]));
  waiting = std::move(out);
  return true;
}

std::vector<size_t> memory_network::shuffle(const std::string& from,
                                            const std::string& to,
                                            uint64_t seed) {
  std::vector<size_t> order;
  {
    std::lock_guard guard{state_->mtx};
    order.resize(state_->directions[{from, to}].waiting.size());
  }
  std::iota(order.begin(), order.end(), size_t{0});
  // Not std::shuffle: its use of the engine is implementation-defined, and
  // a seed must mean the same order everywhere.
  std::mt19937_64 rng{seed};
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[rng() % i]);
  if (!reorder(from, to, order))
    return {}; // the queue changed meanwhile (another thread released)
  return order;
}

std::vector<std::string> memory_network::held(const std::string& from,
                                              const std::string& to) const {
  std::lock_guard guard{state_->mtx};
  auto i = state_->directions.find({from, to});
  if (i == state_->directions.end())
    return {};
  return std::vector<std::string>(i->second.waiting.begin(),
                                  i->second.waiting.end());
}

link_counters memory_network::counters(const std::string& from,
                                       const std::string& to) const {
  std::lock_guard guard{state_->mtx};
  auto i = state_->directions.find({from, to});
  if (i == state_->directions.end())
    return {};
  auto out = i->second.counters;
  out.held = i->second.waiting.size();
  return out;
}

} // namespace herald::cluster
