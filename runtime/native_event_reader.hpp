#pragma once

// Reads back an event a node wrote in the native form (to_native_json):
// the events of a peer's query reply in a cluster query (DESIGN §6). Unlike
// decode_native, which takes what a client publishes, it keeps what only a
// node sets: `kind:"sys"`, `origin`, `seq` and `node`. Pure, thread-safe.

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "herald/v1/event.pb.h"

namespace herald::runtime {

/// The event `obj` (one element of a query reply's `events`) describes:
/// the inverse of to_native_json. `seq` must be a positive integer and
/// `node` a non-empty string (a stored event has both); `kind` "user" or
/// "sys"; `origin` an object of strings. Errors: invalid_field /
/// unknown_field / invalid_time … as decode_native reports them, fields
/// under `pointer`.
caf::expected<v1::Event> read_native_event(const nlohmann::json& obj,
                                           std::string_view pointer = "");

} // namespace herald::runtime
