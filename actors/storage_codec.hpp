#pragma once

// Translation between herald::protocol's message types and storage's own
// (STYLE: the protocol carries no storage type; the actors translate at the
// edge). Plain functions; moves where the source is an rvalue.

#include <vector>

#include "actors/protocol/messages.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

protocol::publish_result to_protocol(storage::append_result&& r);
std::vector<protocol::publish_result>
to_protocol(std::vector<storage::append_result>&& rs);
protocol::query_page to_protocol(storage::query_page&& page);
protocol::definition to_protocol(storage::definition&& d);
protocol::source_info to_protocol(const storage::source_info& s);

storage::event_query to_storage(protocol::event_query&& q);
storage::definition_write to_storage(const protocol::definition_change& c);
storage::definition_write to_storage(protocol::definition_change&& c);

} // namespace herald::actors
