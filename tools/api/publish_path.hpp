#pragma once

// The tail every publish endpoint shares (POST /api/v1/events and 004's
// POST /internal/create-event): hand the decoded events to the writer and
// answer DESIGN §7's publish reply once they are durable.

#include <chrono>

#include <caf/actor_system.hpp>

#include "actors/writer_actor.hpp"
#include "runtime/event_codec.hpp"
#include "tools/http/http_util.hpp"

namespace herald::api {

/// How long an HTTP request waits for an actor's answer.
inline constexpr auto request_timeout = std::chrono::milliseconds{30000};

/// Writes `batch` through `writer` and replies `{"id","seq"}` for a single
/// object, `{"events":[...]}` for an array (input order), with
/// `"duplicate":true` on ids already stored; an error reply otherwise
/// (409 conflict, no seq, for an id taken by an event `who` may not see).
/// Never blocks the caller.
void write_and_reply(caf::actor_system& sys, const actors::writer_actor& writer,
                     runtime::publish_batch batch, const runtime::identity& who,
                     unsigned version, bool keep_alive, http::reply_fn reply);

} // namespace herald::api
