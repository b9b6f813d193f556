#pragma once

// Bridges Boost.Asio threads into CAF: a request to an actor whose reply (or
// error) arrives as a callback on a CAF thread. Never blocks the caller.
// The callbacks must only post work back to the caller's executor.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "runtime/errc.hpp"
#include "tools/http/http_util.hpp"

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

/// `ask` for an HTTP handler: an error (timeouts included) is the reply,
/// as DESIGN §7's body; a `dest` that is not running (null) is answered
/// 503 unavailable with `absent` as the message, without asking.
template <class Handle, class OnOk, class... Ts>
void ask_or_reply(caf::actor_system& sys, const Handle& dest,
                  std::string_view absent, std::chrono::milliseconds timeout,
                  unsigned version, bool keep_alive, http::reply_fn reply,
                  OnOk on_ok, Ts... xs) {
  if (!dest)
    return reply(http::error_response(runtime::errc::unavailable,
                                      std::string{absent}, "", version,
                                      keep_alive));
  ask(
      sys, dest, timeout, std::move(on_ok),
      [reply = std::move(reply), version, keep_alive](caf::error& err) {
        reply(http::error_response(err, version, keep_alive));
      },
      std::move(xs)...);
}

} // namespace herald::api
