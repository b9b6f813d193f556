#pragma once

// The session side of one listener connection as an actor: what the hub
// sends (listener_sink_actor in type_ids.hpp) goes into a bounded
// actors::stream_sink that the WebSocket session drains, one text frame per
// message. A listener that does not read fills the sink; the next frame
// then closes it with 1008 `slow_consumer` (the session sends that close
// and tells the hub the listener is gone). `(close_atom, reason)` closes it
// with 1008 `reason` after the frames queued.
//
// The actor never quits on its own: the session stops it (anon_send_exit)
// after telling the hub why the connection ended, so the hub sees the
// session's reason before the down message of the sink.

#include <memory>

#include <caf/fwd.hpp>

#include "actors/automation/type_ids.hpp"
#include "actors/stream_sink.hpp"

namespace herald::automation {

/// Close reason of a listener whose frames overflowed its sink.
inline constexpr const char* close_slow_consumer = "slow_consumer";

/// Spawns the sink actor over `sink` (cooperative scheduler; it never
/// blocks).
listener_sink_actor
spawn_listener_sink(caf::actor_system& sys,
                    std::shared_ptr<actors::stream_sink> sink);

} // namespace herald::automation
