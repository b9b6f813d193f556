// Fuzz target for what a listener sends (DESIGN §5 listener protocol): the
// first byte picks the parser: even → one text frame
// (decode_listener_frame), odd → the `handles` query parameter
// (parse_handles). Errors must be DESIGN §7 error values.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "actors/automation/listener_codec.hpp"
#include "fuzz/error_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text{reinterpret_cast<const char*>(data) + 1, size - 1};
  if (data[0] % 2 == 0) {
    auto f = herald::automation::decode_listener_frame(text);
    if (!f)
      herald::fuzz::check_error_body(f.error(), "listener_fuzz/frame");
  } else {
    auto h = herald::automation::parse_handles(text);
    if (!h)
      herald::fuzz::check_error_body(h.error(), "listener_fuzz/handles");
  }
  return 0;
}
