#include "actors/storage_codec.hpp"

#include <utility>

namespace herald::actors {

protocol::publish_result to_protocol(storage::append_result&& r) {
  return {std::move(r.id), r.seq, r.duplicate};
}

std::vector<protocol::publish_result>
to_protocol(std::vector<storage::append_result>&& rs) {
  std::vector<protocol::publish_result> out;
  out.reserve(rs.size());
  for (auto& r : rs)
    out.push_back(to_protocol(std::move(r)));
  return out;
}

protocol::query_page to_protocol(storage::query_page&& page) {
  return {std::move(page.events), std::move(page.next), page.last_examined_seq};
}

protocol::definition to_protocol(storage::definition&& d) {
  return {std::move(d.key), std::move(d.value), d.version};
}

protocol::source_info to_protocol(const storage::source_info& s) {
  return {s.id, s.enabled, s.events, s.last_seq, s.last_accept_ns};
}

storage::event_query to_storage(protocol::event_query&& q) {
  storage::event_query out;
  out.name = std::move(q.name);
  out.source = std::move(q.source);
  out.tenant = std::move(q.tenant);
  out.user = std::move(q.user);
  out.scope = std::move(q.scope);
  out.since_ns = q.since_ns;
  out.until_ns = q.until_ns;
  out.filter = std::move(q.filter);
  out.after = std::move(q.after);
  out.from_seq = q.from_seq;
  out.descending = q.descending;
  out.limit = q.limit;
  out.scan_budget = q.scan_budget;
  return out;
}

storage::definition_write to_storage(const protocol::definition_change& c) {
  return {c.key, c.value, c.expect_version, c.replica_version};
}

storage::definition_write to_storage(protocol::definition_change&& c) {
  return {std::move(c.key), std::move(c.value), c.expect_version,
          c.replica_version};
}

} // namespace herald::actors
