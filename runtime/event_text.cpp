#include "runtime/event_text.hpp"

#include <array>
#include <mutex>

#include "runtime/event_codec.hpp"

namespace herald::runtime {

namespace {

/// One event and its rendered texts, in one allocation.
struct event_with_texts {
  explicit event_with_texts(v1::Event e) : ev(std::move(e)) {}
  const v1::Event ev;
  std::mutex mtx;
  std::array<shared_text, 2> texts; ///< by text_format; null until rendered
};

/// The event_ptr's deleter: keeps the event and its texts alive and lets
/// event_text() find the texts (std::get_deleter).
struct texts_owner {
  std::shared_ptr<event_with_texts> owned;
  void operator()(const v1::Event*) noexcept { owned.reset(); }
};

shared_text render(const v1::Event& ev, text_format format) {
  return std::make_shared<const std::string>(format == text_format::native
                                                 ? to_native_json_text(ev)
                                                 : to_cloudevent_json_text(ev));
}

} // namespace

std::shared_ptr<const v1::Event> make_shared_event(v1::Event ev) {
  auto owned = std::make_shared<event_with_texts>(std::move(ev));
  const v1::Event* raw = &owned->ev;
  return std::shared_ptr<const v1::Event>(raw, texts_owner{std::move(owned)});
}

shared_text event_text(const std::shared_ptr<const v1::Event>& ev,
                       text_format format) {
  auto* owner = std::get_deleter<texts_owner>(ev);
  if (!owner || !owner->owned)
    return render(*ev, format);
  auto& cached = *owner->owned;
  auto& slot = cached.texts[static_cast<size_t>(format)];
  {
    std::lock_guard guard{cached.mtx};
    if (slot)
      return slot;
  }
  // Rendered outside the lock; if two threads race, the first stored wins
  // and both return the same text.
  auto text = render(cached.ev, format);
  std::lock_guard guard{cached.mtx};
  if (!slot)
    slot = std::move(text);
  return slot;
}

} // namespace herald::runtime
