#pragma once

// Internal to herald_flow: helpers its .cpp files share. Not for other
// modules (the public API is the other headers of runtime/flow/).

#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json_fwd.hpp>

namespace herald::flow {
struct step_plan;
struct destination;
} // namespace herald::flow

namespace herald::flow::detail {

/// Checks and compiles `steps` (a non-empty array: the caller checked) into
/// `out`, expanding phases; errors as workflow_plan::parse documents them.
caf::error parse_steps(const nlohmann::json& steps,
                       std::vector<step_plan>& out);

/// Checks and compiles the "destination" member of a subscription document
/// `doc` (an object: the caller checked) into `out`; errors as
/// subscription_def::parse documents them.
caf::error parse_destination(const nlohmann::json& doc, destination& out);

} // namespace herald::flow::detail
