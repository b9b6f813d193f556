// Fuzz target for the registries' peer codec (actors/peer_codec.hpp).
//
// Input: the bytes of one peer_link payload. Properties checked:
//  - decoding never crashes; a refusal is an error that serialises like
//    every other API error (fuzz/error_check.hpp), never errc::internal;
//  - every accepted message encodes again to bytes that decode to a message
//    with the same encoding (what a node sends is always valid input).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "actors/peer_codec.hpp"
#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "peer_fuzz: %s\n", what);
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  auto msg = herald::actors::decode_peer_message(input);
  if (!msg) {
    herald::fuzz::check_error_body(msg.error(), "peer_fuzz");
    if (herald::runtime::describe(msg.error()).code ==
        herald::runtime::errc::internal)
      fail("internal error");
    return 0;
  }
  auto bytes = herald::actors::encode_peer_message(*msg);
  auto again = herald::actors::decode_peer_message(bytes);
  if (!again)
    fail("an encoded message does not decode");
  if (herald::actors::encode_peer_message(*again) != bytes)
    fail("an encoded message decodes to another message");
  return 0;
}
