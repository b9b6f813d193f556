#include "runtime/cluster_query.hpp"

#include <tuple>

#include <nlohmann/json.hpp>

#include "runtime/base64.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/query_cursor.hpp"

namespace herald::runtime {

namespace {

using json = nlohmann::json;

caf::error bad_cursor(std::string why) {
  return make_api_error(errc::invalid_cursor, "invalid cursor: " + why,
                        "after");
}

/// Standard base64 → base64url without padding.
std::string to_base64url(std::string_view bytes) {
  std::string out = encode_base64(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string std_text{text};
  for (auto& c : std_text) {
    if (c == '+' || c == '/' || c == '=')
      return std::nullopt; // not the URL-safe alphabet
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  return decode_base64(std_text);
}

} // namespace

std::string encode_cluster_cursor(const cluster_cursor& c) {
  json nodes = json::object();
  for (const auto& [id, pos] : c.nodes) {
    json p = json::object();
    if (pos.done)
      p["done"] = true;
    else if (!pos.after.empty())
      p["after"] = pos.after;
    nodes[id] = std::move(p);
  }
  json doc{{"o", c.descending ? "d" : "a"}, {"n", std::move(nodes)}};
  return std::string{cluster_cursor_prefix} + to_base64url(doc.dump());
}

caf::expected<cluster_cursor> decode_cluster_cursor(std::string_view text,
                                                    bool descending) {
  if (!is_cluster_cursor(text))
    return bad_cursor("not a cluster cursor");
  auto bytes = from_base64url(text.substr(cluster_cursor_prefix.size()));
  if (!bytes)
    return bad_cursor("not base64url");
  auto doc = json::parse(*bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.size() != 2)
    return bad_cursor("not a cluster cursor");
  auto order = doc.find("o");
  auto nodes = doc.find("n");
  if (order == doc.end() || nodes == doc.end() || !nodes->is_object() ||
      (*order != "a" && *order != "d"))
    return bad_cursor("not a cluster cursor");
  cluster_cursor out;
  out.descending = *order == "d";
  if (out.descending != descending)
    return bad_cursor(descending ? "cursor of an ascending query"
                                 : "cursor of a descending query");
  for (const auto& [id, pos] : nodes->items()) {
    if (!is_valid_id(id))
      return bad_cursor("bad node id");
    if (!pos.is_object() || pos.size() > 1)
      return bad_cursor("bad position of node " + id);
    node_position p;
    if (auto done = pos.find("done"); done != pos.end()) {
      if (*done != true)
        return bad_cursor("bad position of node " + id);
      p.done = true;
    } else if (auto after = pos.find("after"); after != pos.end()) {
      if (!after->is_string() ||
          !decode_cursor(after->get_ref<const std::string&>(), descending))
        return bad_cursor("bad position of node " + id);
      p.after = after->get<std::string>();
    } else if (!pos.empty()) {
      return bad_cursor("bad position of node " + id);
    }
    out.nodes.emplace(id, std::move(p));
  }
  return out;
}

bool merged_before(const v1::Event& a, const v1::Event& b,
                   bool descending) noexcept {
  using key = std::tuple<int64_t, const std::string&, uint64_t>;
  const key ka{a.time_ns(), a.node(), a.seq()};
  const key kb{b.time_ns(), b.node(), b.seq()};
  return descending ? kb < ka : ka < kb;
}

merged_page merge_pages(const cluster_cursor& from,
                        std::vector<node_page> pages, size_t limit) {
  const bool desc = from.descending;
  merged_page out;
  out.next = from;
  std::vector<size_t> taken(pages.size(), 0);
  std::vector<uint64_t> last_seq(pages.size(), 0); // of the last one taken
  while (out.events.size() < limit) {
    const node_page* best_page = nullptr;
    size_t best = 0;
    bool blocked = false;
    for (size_t p = 0; p < pages.size(); ++p) {
      const auto& page = pages[p];
      if (taken[p] == page.events.size()) {
        // A node with more than it sent: nothing can be placed after
        // its last event until its next page is known.
        blocked = blocked || !page.next.empty();
        continue;
      }
      if (best_page == nullptr ||
          merged_before(page.events[taken[p]], best_page->events[taken[best]],
                        desc)) {
        best_page = &page;
        best = p;
      }
    }
    if (blocked || best_page == nullptr)
      break;
    auto& ev = pages[best].events[taken[best]++];
    last_seq[best] = ev.seq();
    out.events.push_back(std::move(ev));
  }
  for (size_t p = 0; p < pages.size(); ++p) {
    const auto& page = pages[p];
    auto& pos = out.next.nodes[page.node];
    if (taken[p] == page.events.size())
      pos = page.next.empty() ? node_position{"", true}
                              : node_position{page.next, false};
    else if (taken[p] > 0)
      pos = node_position{encode_cursor({desc, last_seq[p]}), false};
    // else: nothing of it was taken; it resumes where it was.
    out.more = out.more || !pos.done;
  }
  return out;
}

} // namespace herald::runtime
