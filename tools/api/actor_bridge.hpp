#pragma once

// Bridges Boost.Asio threads into CAF: a request to an actor whose reply (or
// error) arrives as a callback on a CAF thread. Never blocks the caller.
// The callbacks must only post work back to the caller's executor.

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace herald::api {

/// Sends `xs...` as a request to `dest` from a short-lived actor; calls
/// `on_ok(reply...)` or `on_err(caf::error&)` (timeout included) once.
template <class Handle, class OnOk, class OnErr, class... Ts>
void ask(caf::actor_system& sys, const Handle& dest,
         std::chrono::milliseconds timeout, OnOk on_ok, OnErr on_err,
         Ts... xs) {
  sys.spawn([dest, timeout, on_ok = std::move(on_ok),
             on_err = std::move(on_err),
             ... xs = std::move(xs)](caf::event_based_actor* self) mutable {
    self->request(dest, caf::timespan{timeout}, std::move(xs)...)
        .then(std::move(on_ok), std::move(on_err));
  });
}

} // namespace herald::api
