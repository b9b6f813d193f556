#pragma once

// The watchers of a coordinator (`watch_atom` / `unwatch_atom`), shared by
// every coordinator implementation: each watcher once, monitored, and
// forgotten when it goes down.

#include <algorithm>
#include <vector>

#include <caf/system_messages.hpp>

#include "actors/cluster/coordinator_actor.hpp"

namespace herald::cluster {

class membership_listeners {
public:
  /// Adds `l` (once) and monitors it through `self`.
  template <class Self>
  void add(Self* self, const membership_listener& l) {
    if (l && std::find(all_.begin(), all_.end(), l) == all_.end()) {
      self->monitor(l);
      all_.push_back(l);
    }
  }

  /// Removes `l` and stops monitoring it.
  template <class Self>
  void remove(Self* self, const membership_listener& l) {
    auto i = std::find(all_.begin(), all_.end(), l);
    if (i != all_.end()) {
      self->demonitor(l.address());
      all_.erase(i);
    }
  }

  /// Forgets the watcher that went down (a down handler calls this).
  void down(const caf::down_msg& msg) {
    all_.erase(std::remove_if(all_.begin(), all_.end(),
                              [&](const membership_listener& l) {
                                return l.address() == msg.source;
                              }),
               all_.end());
  }

  /// Sends every watcher `view`.
  template <class Self>
  void send(Self* self, const membership& view) {
    for (auto& l : all_)
      self->send(l, view_atom_v, view);
  }

private:
  std::vector<membership_listener> all_;
};

} // namespace herald::cluster
