#pragma once

// A server-side WebSocket connection that sends text frames from a bounded
// producer (a frame_source) and, by default, reads nothing but control
// frames (data frames are discarded): the mechanics of an event stream
// without what the events are. A derived session that wants the client's
// text messages calls receive_text() and gets each one in on_text(). The 101
// goes out when accept() is called, not before, so whoever produces the frames
// can get ready first. Keep-alive: Beast's pings (timeout::suggested, with
// the given idle timeout).
//
//   start(req) ──accept()──▶ 101 ──▶ frames from the source ──▶ close
//                                           │
//   close_after_frames(code, reason):  the frames queued go out first
//   end(code, reason):                 frames not yet written are dropped;
//                                      the socket is torn down 1 s later
//                                      if the close cannot be written
//   end_at(deadline, code, reason):    end() at a wall-clock instant
//
// end() and close_after_frames() before the 101 close right after it.
// Derived classes stop their producer in on_stop() (called on the session's
// strand when the session ends or is ended); read_error() and close_sent()
// tell them how it ended.
//
// Receiving (after receive_text(max)): each complete text message goes to
// on_text() on the strand, in order, while the session is active; a message
// over `max` bytes fails the connection with 1009 (Beast sends it) and a
// binary message ends the session with 1003.
//
// Thread-safety: accept(), close_after_frames(), end() and post() may be
// called from any thread; everything else runs on the session's strand.
// Lifetime: shared_ptr only; pending handlers keep the session alive.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "tools/http/coalescing_stream.hpp"
#include "tools/http/http_util.hpp"

namespace herald::http {

/// One text frame's payload, possibly shared with other sessions (never
/// null, never modified once queued).
using frame_text = std::shared_ptr<const std::string>;

/// A bounded queue of text frames between a producer and the session.
/// Every member may be called from any thread (see actors::stream_sink,
/// the producer behind event streams, for the protocol).
class frame_source {
public:
  virtual ~frame_source() = default;

  /// `fn` is called whenever frames or a close become available after
  /// pop() returned false (initially armed). It must be cheap.
  virtual void set_notify(std::function<void()> fn) = 0;
  /// Moves up to `max` frames to the end of `out`; false (re-arming the
  /// notification) when there were none.
  virtual bool pop(std::vector<frame_text>& out, size_t max) = 0;
  /// The close code and reason once the producer closed the source.
  virtual std::optional<std::pair<uint16_t, std::string>> closed() const = 0;
  /// One popped frame was written.
  virtual void mark_written() = 0;
  /// Closes the source with `code` and `reason` after the frames queued.
  virtual void close(uint16_t code, std::string reason) = 0;
  /// The session ended: nothing more will be popped.
  virtual void consumer_gone() = 0;
};

/// WebSocket close code 1008 (policy violation).
inline constexpr uint16_t close_policy_violation = 1008;
/// WebSocket close code 1007 (a message's payload is not what was agreed).
inline constexpr uint16_t close_invalid_payload = 1007;
/// WebSocket close code 1003 (a kind of data the endpoint does not accept).
inline constexpr uint16_t close_unsupported_data = 1003;

class websocket_session
    : public std::enable_shared_from_this<websocket_session> {
public:
  /// Takes over `stream` (a connection whose request is an upgrade);
  /// a client answering no ping for `idle_timeout` is dropped.
  websocket_session(boost::beast::tcp_stream stream,
                    std::shared_ptr<frame_source> source,
                    std::chrono::seconds idle_timeout);
  virtual ~websocket_session();

  websocket_session(const websocket_session&) = delete;
  websocket_session& operator=(const websocket_session&) = delete;

  /// Keeps the upgrade request `req` for accept() and sets the options.
  /// Call once, first (after receive_text(), if at all).
  void start(http_request req);

  /// Hands the client's text messages of at most `max_message` bytes to
  /// on_text() instead of discarding them (see above). Call before start().
  void receive_text(size_t max_message) noexcept { text_max_ = max_message; }

  /// Sends the 101 and starts streaming (once; not after the session
  /// ended). Any thread.
  void accept();

  /// Ends the session with `code` and `reason` at `deadline` (armed once
  /// the 101 is out; not after end()). Call before accept().
  void end_at(std::chrono::system_clock::time_point deadline, uint16_t code,
              std::string reason);

  /// Closes the source with `code` and `reason`: the frames queued go out,
  /// then the close. Any thread.
  void close_after_frames(uint16_t code, std::string reason);

  /// Ends the session now with `code` and `reason`: frames not yet written
  /// are dropped and the producer is stopped (on_stop). Any thread.
  void end(uint16_t code, std::string reason);

  /// Runs `fn` on the session's strand. Any thread.
  void post(std::function<void()> fn);

protected:
  /// The session is ending (end(), a write or read error, the client
  /// left): stop producing. On the strand; may be called more than once.
  virtual void on_stop() {}

  /// One text message of the client, whole (only after receive_text();
  /// on the strand, in order, never after the session stopped being
  /// active()).
  virtual void on_text(std::string) {}

  /// On the strand: neither ending nor closing nor ended.
  bool active() const noexcept { return !ending_ && !closing_ && !finished_; }

  /// On the strand: why reading stopped (websocket::error::closed: the
  /// client sent a close; message_too_big: over receive_text()'s limit;
  /// anything else: the connection failed), or no error while reading.
  boost::beast::error_code read_error() const noexcept { return read_ec_; }

  /// On the strand: the close this side sends or sent (end(), or the
  /// source's close), if any.
  std::optional<std::pair<uint16_t, std::string>> close_sent() const {
    return ending_ ? ending_ : sent_close_;
  }

private:
  void on_accept(boost::beast::error_code ec);
  void arm_deadline();
  void do_read();
  void on_read(boost::beast::error_code ec, size_t);
  void schedule_pump();
  void pump();
  void on_write(boost::beast::error_code ec, size_t);
  void finish();

  /// Frames written while a socket write is in flight go out together in
  /// the next one (tools/http/coalescing_stream.hpp).
  boost::beast::websocket::stream<coalescing_stream> ws_;
  boost::beast::flat_buffer in_;
  size_t text_max_ = 0; ///< receive_text()'s limit; 0: discard data frames
  boost::beast::error_code read_ec_;
  std::optional<std::pair<uint16_t, std::string>> sent_close_;
  std::shared_ptr<frame_source> source_;
  std::vector<frame_text> pending_;
  size_t next_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  std::atomic<bool> pump_posted_{false};
  std::chrono::seconds idle_timeout_;
  http_request req_;      ///< the upgrade request, until accepted
  bool accepted_ = false; ///< the 101 went out
  /// end_at()'s instant and close, if any.
  std::optional<std::chrono::system_clock::time_point> deadline_;
  std::pair<uint16_t, std::string> deadline_close_;
  /// Set by end(): the close to send instead of the source's frames.
  std::optional<std::pair<uint16_t, std::string>> ending_;
  /// The deadline, then (after end()) the bound on the close.
  boost::asio::steady_timer timer_;
};

/// Answers a refused WebSocket upgrade with `res` and closes the
/// connection, asynchronously (a client that does not read must not hold an
/// io thread; the write is bounded at 5 s).
void refuse_upgrade(boost::beast::tcp_stream stream, http_response res);

} // namespace herald::http
