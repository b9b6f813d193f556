#pragma once

// CAF 0.17 `inspect` overloads for the types of other modules that travel in
// messages: the protobuf Event (as its wire bytes), a shared event (the
// registry's event_ptr), runtime::identity and runtime::content_filter (as
// its canonical JSON text, compiled again on load). Declared in those types'
// namespaces so CAF finds them by argument-dependent lookup.
//
// CAF 0.17 knows neither std::optional nor protobuf messages; opt() wraps an
// optional member for an inspect() so it serialises as a flag and a value.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"

namespace herald::protocol {

/// An optional member seen by an inspector: `f(opt(x.name))`.
template <class T>
struct optional_field {
  std::optional<T>& value;
};

template <class T>
optional_field<T> opt(std::optional<T>& x) {
  return {x};
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, optional_field<T>& x) {
  bool present = x.value.has_value();
  T tmp{};
  if constexpr (Inspector::reads_state) {
    if (present)
      tmp = *x.value;
  }
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (present)
      x.value = std::move(tmp);
    else
      x.value.reset();
    return caf::none;
  });
  return f(present, tmp, load);
}

} // namespace herald::protocol

namespace herald::v1 {

/// An Event as its protobuf wire bytes; a load that does not parse fails
/// with caf::sec::invalid_argument.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Event& x) {
  std::string bytes;
  if constexpr (Inspector::reads_state)
    x.SerializeToString(&bytes);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (!x.ParseFromString(bytes))
      return caf::sec::invalid_argument;
    return caf::none;
  });
  return f(caf::meta::type_name("herald.v1.Event"), bytes, load);
}

/// A shared, immutable event (the registry's event_ptr): its bytes; a load
/// makes a new event.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        std::shared_ptr<const Event>& x) {
  Event tmp;
  if constexpr (Inspector::reads_state) {
    if (x)
      tmp = *x;
  }
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x = std::make_shared<const Event>(std::move(tmp));
    return caf::none;
  });
  return f(tmp, load);
}

} // namespace herald::v1

namespace herald::runtime {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, identity& x) {
  return f(caf::meta::type_name("herald.identity"), x.name, x.groups, x.roles);
}

/// A filter as its canonical text (content_filter::text()); a load parses
/// it again, so a filter that does not compile fails the load.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, content_filter& x) {
  std::string text;
  if constexpr (Inspector::reads_state)
    text = x.text();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    auto parsed = content_filter::parse(text);
    if (!parsed)
      return std::move(parsed.error());
    x = std::move(*parsed);
    return caf::none;
  });
  return f(caf::meta::type_name("herald.content_filter"), text, load);
}

} // namespace herald::runtime
