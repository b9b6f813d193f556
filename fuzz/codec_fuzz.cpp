// Fuzz target for the event codecs (runtime/event_codec.hpp).
//
// Input: a publish body for decode_publish, or — when it starts with "ce-" —
// a binary-mode CloudEvent written as header lines `name: value` (the
// pseudo-header `content-type` is the Content-Type), a blank line, then the
// body. Properties checked:
//  - decoding never crashes and never fails with errc::internal (that would
//    be an exception escaping a codec's own checks);
//  - every accepted event, written in the native form, decodes again to the
//    same event (Herald's output is always valid input).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"

namespace {

using herald::runtime::publish_batch;

constexpr int64_t fixed_now = 1795341600123456789; // 2026-11-22T10:00:00.123Z

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "codec_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void check_error(const caf::error& err) {
  herald::fuzz::check_error_body(err, "codec_fuzz");
  auto e = herald::runtime::describe(err);
  if (e.code == herald::runtime::errc::internal)
    fail("internal error", e.to_json());
}

caf::expected<publish_batch>
decode_binary(std::string_view in, const herald::runtime::publish_limits& l) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t eol = in.find('\n', pos);
    const auto line =
        in.substr(pos, eol == std::string_view::npos ? std::string_view::npos
                                                     : eol - pos);
    pos = eol == std::string_view::npos ? in.size() : eol + 1;
    if (line.empty())
      break;
    const size_t colon = line.find(':');
    std::string name{line.substr(0, colon)};
    std::string value;
    if (colon != std::string_view::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
    }
    if (name == "content-type")
      content_type = value;
    else
      headers.emplace_back(std::move(name), std::move(value));
  }
  return herald::runtime::decode_cloudevent_binary(
      headers, content_type, in.substr(pos), l, fixed_now);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  herald::runtime::publish_limits limits;
  limits.max_batch = 64;
  limits.max_event_bytes = 64 * 1024;
  auto batch = input.substr(0, 3) == "ce-"
                   ? decode_binary(input, limits)
                   : herald::runtime::decode_publish(input, limits, fixed_now);
  if (!batch) {
    check_error(batch.error());
    return 0;
  }
  if (batch->events.empty())
    fail("accepted an empty batch", std::string{input});
  for (const auto& ev : batch->events) {
    const auto text = herald::runtime::to_native_json_text(ev);
    auto again = herald::runtime::decode_publish(text, limits, fixed_now);
    if (!again)
      fail("native form rejected",
           text + "\n" + herald::runtime::describe(again.error()).to_json());
    if (again->events.size() != 1 ||
        !google::protobuf::util::MessageDifferencer::Equals(ev,
                                                            again->events[0]))
      fail("native form decodes to another event",
           text + "\n" +
               herald::runtime::to_native_json_text(again->events.at(0)));
  }
  return 0;
}
