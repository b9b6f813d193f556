#pragma once

#include <string_view>

#include <caf/expected.hpp>

namespace herald::runtime {

/// Event names: one or more '.'-separated segments of [A-Za-z0-9_-]+.
/// At most 256 bytes.
bool is_valid_name(std::string_view name) noexcept;

/// Name patterns (DESIGN §2): segments are literal name segments, `*` (exactly
/// one segment) or, as the last segment only, `>` (one or more segments).
/// Returns an `invalid_pattern` error naming `field` when malformed.
caf::error validate_pattern(std::string_view pattern, std::string_view field);
bool is_valid_pattern(std::string_view pattern) noexcept;

/// True iff the pattern has no `*` or `>` segment.
bool is_literal_pattern(std::string_view pattern) noexcept;

/// Direct match of one pattern against one name (nats semantics). For many
/// patterns against one name use subject_trie.
bool pattern_matches(std::string_view pattern, std::string_view name) noexcept;

} // namespace herald::runtime
