// Fuzz target for content filters: the input is filter JSON text. A valid
// filter is matched against fixed events, and its normalized text() must
// re-parse to a filter with the same text and the same verdicts. Anything
// else (an error value) is fine; a crash or a disagreement is not.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "fuzz/error_check.hpp"
#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/errc.hpp"

namespace {

using herald::runtime::content_filter;
using herald::v1::Event;

void check(bool ok) {
  if (!ok)
    std::abort();
}

std::vector<Event> make_events() {
  std::vector<Event> out;
  Event full;
  full.set_id("e1");
  full.set_name("iam.user.created");
  full.set_source("iam");
  full.set_time_ns(1795341600123000000);
  full.set_tenant("acme");
  full.set_user("alice");
  full.set_scope("inventory/test/app/1.0");
  full.add_allowed_groups("ops");
  full.set_data_json(
      R"({"state":"active","code":404,"ratio":0.5,"ok":true,"nothing":null,)"
      R"("tags":["red","blue"],"items":[{"id":1},{"id":2.5}],"a":{"b":"c*d"},)"
      R"("big":18446744073709551615,"neg":-7,"empty":[],"s":"")");
  full.mutable_origin()->set_trigger_id("t1");
  full.set_seq(42);
  full.set_node("n1");
  out.push_back(full);

  Event bare;
  bare.set_name("server.ready");
  bare.set_kind(herald::v1::KIND_SYS);
  out.push_back(bare);

  Event scalar = full;
  scalar.set_data_json("[1,\"active\",[true,null],{\"code\":500}]");
  scalar.set_tenant("");
  out.push_back(scalar);

  Event bytes = full;
  bytes.set_data_bytes("\x01\x02");
  out.push_back(bytes);
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Event> events = make_events();
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto filter = content_filter::parse(text, "filter");
  if (!filter) {
    herald::fuzz::check_error_body(filter.error(), "filter_fuzz");
    auto err = herald::runtime::describe(filter.error());
    check(err.code == herald::runtime::errc::invalid_filter);
    check(err.field.rfind("filter", 0) == 0);
    return 0;
  }
  auto again = content_filter::parse(filter->text());
  check(static_cast<bool>(again));
  check(again->text() == filter->text());
  check(again->empty() == filter->empty());
  for (const auto& ev : events) {
    bool verdict = filter->matches(ev);
    check(verdict == again->matches(ev));
    if (filter->empty())
      check(verdict);
  }
  return 0;
}
