#pragma once

// An event's output texts (native JSON, CloudEvents JSON), rendered once per
// event and shared read-only by everyone who sends it: a live event routed
// to many streams is serialised once per format, not once per subscriber,
// and each stream's frame is a reference to the same bytes.
//
// The texts travel with the event itself: make_shared_event() puts a cache
// in the shared_ptr's control block (its deleter), so any holder of the
// event_ptr — the registry, every stream actor — finds it without a lookup
// table and it lives exactly as long as the event. An event made any other
// way (std::make_shared) has no cache and is rendered on every call.
//
// The text is a pure function of the event and the format: nothing in it
// depends on who receives it (visibility is decided before an event reaches
// a stream, per subscriber).
//
// Thread-safety: event_text() may be called on the same event from any
// number of threads; each format is rendered at most once per event.

#include <memory>
#include <string>

#include "herald/v1/event.pb.h"

namespace herald::runtime {

/// An immutable text shared between the frames that carry it.
using shared_text = std::shared_ptr<const std::string>;

enum class text_format { native, cloudevent };

/// `ev` owned together with a cache of its texts (see above).
std::shared_ptr<const v1::Event> make_shared_event(v1::Event ev);

/// The text of `ev` in `format`: to_native_json_text or
/// to_cloudevent_json_text, cached when `ev` came from make_shared_event().
/// `ev` must not be null.
shared_text event_text(const std::shared_ptr<const v1::Event>& ev,
                       text_format format);

} // namespace herald::runtime
