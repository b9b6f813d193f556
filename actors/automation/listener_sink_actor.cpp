#include "actors/automation/listener_sink_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace herald::automation {

namespace {

/// WebSocket close code 1008 (policy violation).
constexpr uint16_t close_policy_violation = 1008;

listener_sink_actor::behavior_type
listener_sink_impl(listener_sink_actor::pointer,
                   std::shared_ptr<actors::stream_sink> sink) {
  return {
      [sink](frame_atom, std::string& text) {
        // After a close or when the session is gone push() drops the frame
        // and returns true: only a real overflow closes.
        if (!sink->push(std::move(text), 0)) {
          spdlog::info("listener: frames overflow the buffer ({} frames, {} "
                       "bytes): closing as slow consumer",
                       sink->depth(), sink->bytes());
          sink->close(close_policy_violation, close_slow_consumer);
        }
      },
      [sink](close_atom, std::string& reason) {
        sink->close(close_policy_violation, std::move(reason));
      },
  };
}

} // namespace

listener_sink_actor
spawn_listener_sink(caf::actor_system& sys,
                    std::shared_ptr<actors::stream_sink> sink) {
  return sys.spawn(listener_sink_impl, std::move(sink));
}

} // namespace herald::automation
