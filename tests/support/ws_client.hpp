#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"

namespace herald::test {

/// How the upgrade went. When the server refuses it (a 400 for bad stream
/// parameters), `upgraded` is false and `status`/`body` hold its answer.
struct ws_upgrade {
  bool upgraded = false;
  int status = 0;   ///< 101 on success; 0 when no HTTP answer arrived
  std::string body; ///< the refusal's body (JSON error), empty on success
  std::string error;

  /// "upgraded" / "HTTP 400 {...}" / the transport error.
  std::string describe() const;
};

/// The server's close frame.
struct ws_close_frame {
  int code = 0;
  std::string reason;
};

/// Options for `ws_client::connect`.
struct ws_connect_options {
  header_list headers;    ///< extra upgrade request headers
  std::string bearer;     ///< sent as `Authorization: Bearer` when non-empty
  int receive_buffer = 0; ///< SO_RCVBUF set before connect (0 = default)
  std::chrono::milliseconds timeout{10000}; ///< bounds connect + handshake
};

/// Synchronous WebSocket client over Boost.Beast for process tests.
///
/// Reads are bounded: `read_text(deadline)` waits at most `deadline` and
/// returns nothing on timeout, leaving the underlying read pending so the
/// next call picks up where it stopped (no frame is lost, the stream stays
/// usable). A client that is connected and never read from is a stalled
/// consumer; a small `receive_buffer` makes the server's send path fill fast.
/// Pings are answered automatically while reading. Not thread-safe.
class ws_client {
public:
  ws_client();
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// Connects to 127.0.0.1:`port` and requests the upgrade of `target`.
  ws_upgrade connect(uint16_t port, std::string_view target,
                     const ws_connect_options& options = {});

  /// The next data frame's payload, or nothing when `deadline` passed first
  /// or the connection ended (then `ended()` is true and `close_frame()` /
  /// `error()` say how).
  std::optional<std::string> read_text(std::chrono::milliseconds deadline);

  /// `read_text` parsed as JSON (a discarded value for non-JSON frames).
  std::optional<nlohmann::json> read_json(std::chrono::milliseconds deadline);

  /// True once the server closed the connection (close frame or EOF/reset).
  bool ended() const noexcept;

  /// The server's close frame, when one arrived.
  std::optional<ws_close_frame> close_frame() const;

  /// Why the connection ended (or the last failure), "" if it did not.
  std::string error() const;

  /// True when the last data frame was binary rather than text.
  bool last_was_binary() const noexcept;

  /// Sends one text (or, with `binary`, binary) message; false when it
  /// could not be written within `deadline` or the connection is gone.
  bool send_text(std::string_view text, bool binary = false,
                 std::chrono::milliseconds deadline = std::chrono::seconds(5));

  /// Sends a normal close and waits (bounded) for the server's answer.
  void close(std::chrono::milliseconds deadline = std::chrono::seconds(2));

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace herald::test
