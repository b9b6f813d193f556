#include "tools/http/coalescing_stream.hpp"

#include <algorithm>

#include <boost/asio/write.hpp>

namespace herald::http {

coalescing_stream::coalescing_stream(next_layer_type stream, size_t high_water)
    : state_(std::make_shared<state>(std::move(stream),
                                     std::max<size_t>(high_water, 1))) {}

void coalescing_stream::start_write(const std::shared_ptr<state>& st) {
  if (st->in_flight || st->error || st->pending.empty())
    return;
  if (st->corked && st->pending.size() < st->high_water)
    return;
  st->in_flight = true;
  ++st->socket_writes;
  // The buffers swap: `pending` keeps its capacity for the next batch.
  st->writing.clear();
  st->writing.swap(st->pending);
  boost::asio::async_write(
      st->stream, boost::asio::buffer(st->writing),
      [st](boost::beast::error_code ec, size_t n) { on_written(st, ec, n); });
}

void coalescing_stream::on_written(const std::shared_ptr<state>& st,
                                   boost::beast::error_code ec, size_t) {
  st->in_flight = false;
  if (ec && !st->error)
    st->error = ec;
  if (st->error) {
    st->pending.clear();
    st->writing.clear();
    st->writing.shrink_to_fit();
  }
  // The write waiting for room: the gathered bytes go now.
  if (st->waiting)
    std::exchange(st->waiting, nullptr)->post(st->error);
  start_write(st);
  if (!st->in_flight || st->error)
    for (auto& f : std::exchange(st->flushes, {}))
      f->post(st->error);
}

void teardown(boost::beast::role_type role, coalescing_stream& stream,
              boost::beast::error_code& ec) {
  // Synchronous teardown is not used on a live session (Beast's async
  // close tears down asynchronously); what is still pending is dropped.
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

} // namespace herald::http
