#include "runtime/identity.hpp"

#include <algorithm>

#include "herald/v1/event.pb.h"

namespace herald::runtime {

bool identity::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

identity identity::anonymous_admin() {
  return identity{"anonymous", {}, {"admin"}};
}

bool can_see(const identity& who, const v1::Event& ev) {
  if (ev.allowed_groups().empty() || who.is_admin())
    return true;
  // Herald's own restricted events (kind sys with allowed_groups, e.g.
  // auth.*) are for the admin role: their "admin" names the role, and no
  // group opens them (a user put in a group called admin sees nothing).
  if (ev.kind() == v1::KIND_SYS)
    return false;
  for (const auto& g : ev.allowed_groups())
    if (std::find(who.groups.begin(), who.groups.end(), g) != who.groups.end())
      return true;
  return false;
}

} // namespace herald::runtime
