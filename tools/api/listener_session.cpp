#include "tools/api/listener_session.hpp"

#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/listener_codec.hpp"
#include "runtime/errc.hpp"
#include "tools/api/sink_frames.hpp"

namespace herald::api {

namespace {

namespace websocket = boost::beast::websocket;
using automation::listener_frame;

/// A close reason is at most 123 bytes (RFC 6455 5.5: 125 minus the code).
std::string close_reason(std::string text) {
  if (text.size() > 123)
    text.resize(123);
  // Do not cut a UTF-8 sequence in two.
  while (!text.empty() &&
         (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
    text.pop_back();
  if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0)
    text.pop_back();
  return text;
}

} // namespace

listener_session::listener_session(boost::beast::tcp_stream stream,
                                   automation::listener_hub_actor hub,
                                   std::string id,
                                   std::shared_ptr<actors::stream_sink> sink,
                                   automation::listener_sink_actor sink_actor,
                                   std::chrono::seconds idle_timeout)
    : websocket_session(std::move(stream),
                        std::make_shared<sink_frames>(std::move(sink)),
                        idle_timeout),
      hub_(std::move(hub)), id_(std::move(id)),
      sink_actor_(std::move(sink_actor)) {
  receive_text(automation::max_listener_frame_bytes);
}

listener_session::~listener_session() {
  // Only when the session never ran to its end (the io threads stopped):
  // nothing else runs on it any more.
  report("connection lost");
}

void listener_session::run(http::http_request req) {
  start(std::move(req));
  accept();
}

void listener_session::shutdown(std::function<void()> started) {
  auto self = std::static_pointer_cast<listener_session>(shared_from_this());
  post([self, started = std::move(started)]() mutable {
    // Told at once, not after the close handshake: the hub stores the
    // event while the node's writer still runs.
    self->report("shutdown");
    self->close_after_frames(
        static_cast<uint16_t>(websocket::close_code::going_away),
        "node shutting down");
    // The strand runs posts in order: this one runs after the close began.
    if (started)
      self->post(std::move(started));
  });
}

void listener_session::on_text(std::string text) {
  auto frame = automation::decode_listener_frame(text);
  if (!frame) {
    auto err = runtime::describe(frame.error());
    spdlog::info("listener {}: invalid frame ({}): closing", id_, err.message);
    reason_ = "invalid frame";
    end(http::close_invalid_payload,
        close_reason("invalid frame: " + err.message));
    return;
  }
  switch (frame->kind) {
  case listener_frame::kind_t::action_done:
  case listener_frame::kind_t::action_error:
    caf::anon_send(hub_, automation::done_atom_v, id_,
                   std::move(frame->task_id), std::move(frame->step),
                   frame->kind == listener_frame::kind_t::action_done,
                   std::move(frame->error));
    break;
  case listener_frame::kind_t::progress:
    caf::anon_send(hub_, automation::progress_atom_v, id_,
                   std::move(frame->task_id), std::move(frame->step),
                   frame->percent.value_or(-1.0), std::move(frame->message));
    break;
  }
}

void listener_session::on_stop() {
  report(end_reason());
}

std::string listener_session::end_reason() const {
  if (!reason_.empty())
    return reason_;
  if (auto sent = close_sent()) {
    if (sent->first == http::close_unsupported_data)
      return "binary message";
    return sent->second.empty() ? "closed by herald" : sent->second;
  }
  const auto ec = read_error();
  if (ec == websocket::error::closed)
    return "closed by listener";
  if (ec == websocket::error::message_too_big)
    return "message too big";
  return "connection lost";
}

void listener_session::report(const std::string& reason) {
  if (reported_)
    return;
  reported_ = true;
  // Disconnect first: the hub handles it before the sink's down message.
  caf::anon_send(hub_, automation::disconnect_atom_v, id_, reason);
  caf::anon_send_exit(sink_actor_, caf::exit_reason::user_shutdown);
}

} // namespace herald::api
