#pragma once

// A stand-in for stream_sink behind replay_cursor::output, for the cursor's
// tests: bounded by frames only, paced like stream_actor's adapter (a
// replayed frame goes in only below half the bound), and recording every
// seq pushed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "actors/replay_cursor.hpp"

namespace herald::test {

/// Events with these seqs.
inline actors::replay_cursor::event_ptrs
evs(const std::vector<uint64_t>& seqs) {
  actors::replay_cursor::event_ptrs out;
  for (auto seq : seqs) {
    auto ev = std::make_shared<v1::Event>();
    ev->set_seq(seq);
    out.push_back(std::move(ev));
  }
  return out;
}

class replay_sink final : public actors::replay_cursor::output {
public:
  using event_ptr = actors::replay_cursor::event_ptr;

  explicit replay_sink(size_t capacity = 1000) : capacity(capacity) {}

  bool push_paced(const event_ptr& ev) override {
    if (depth * 2 >= capacity) {
      armed = true; // the drained callback fires once below half
      return false;
    }
    return push(ev);
  }

  bool push(const event_ptr& ev) override {
    if (gone)
      return true; // dropped: nobody to overflow
    if (depth >= capacity)
      return false;
    ++depth;
    sent.push_back(ev->seq());
    return true;
  }

  bool consumer_gone() const override { return gone; }

  /// The consumer takes up to `n` frames. True if that fires the drained
  /// callback (the driver then calls on_drained()).
  bool take(size_t n) {
    depth -= std::min(n, depth);
    if (armed && depth * 2 < capacity) {
      armed = false;
      return true;
    }
    return false;
  }

  size_t capacity;
  size_t depth = 0; ///< frames not yet taken
  bool armed = false;
  bool gone = false;
  std::vector<uint64_t> sent; ///< every seq pushed, in order
};

} // namespace herald::test
