#pragma once

// An actors::stream_sink as the frame source of an http::websocket_session:
// what stream sessions and listener sessions write.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/stream_sink.hpp"
#include "tools/http/websocket_session.hpp"

namespace herald::api {

/// Thread-safety: as stream_sink's, except pop(), which only the session's
/// strand calls (its scratch vector has no lock).
class sink_frames : public http::frame_source {
public:
  explicit sink_frames(std::shared_ptr<actors::stream_sink> sink)
      : sink_(std::move(sink)) {}

  void set_notify(std::function<void()> fn) override {
    sink_->set_notify(std::move(fn));
  }
  bool pop(std::vector<http::frame_text>& out, size_t max) override {
    scratch_.clear();
    if (!sink_->pop(scratch_, max))
      return false;
    for (auto& frame : scratch_)
      out.push_back(std::move(frame.text));
    return true;
  }
  std::optional<std::pair<uint16_t, std::string>> closed() const override {
    return sink_->closed();
  }
  void mark_written() override { sink_->mark_written(); }
  void close(uint16_t code, std::string reason) override {
    sink_->close(code, std::move(reason));
  }
  void consumer_gone() override { sink_->consumer_gone(); }

private:
  std::shared_ptr<actors::stream_sink> sink_;
  std::vector<actors::stream_frame> scratch_;
};

} // namespace herald::api
