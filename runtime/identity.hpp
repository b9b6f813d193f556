#pragma once

#include <string>
#include <vector>

namespace herald::v1 {
class Event;
} // namespace herald::v1

namespace herald::runtime {

/// Who is asking: the identity behind a verified credential (a user's login
/// token or a service token). Every query, stream and subscription path
/// takes one.
struct identity {
  std::string name;
  std::vector<std::string> groups;
  std::vector<std::string> roles; ///< "admin", "publisher", "reader"

  bool has_role(std::string_view role) const;
  bool is_admin() const { return has_role("admin"); }
  /// What an endpoint needing `role` asks: the role itself, or admin
  /// (which may do everything).
  bool may(std::string_view role) const { return is_admin() || has_role(role); }

  /// An admin with no name: in-process tools and tests that act as the
  /// node itself.
  static identity anonymous_admin();
};

/// DESIGN §3 visibility, the one function every read path calls: a caller
/// sees an event iff its allowed_groups is empty, shares a group with the
/// caller, or the caller is an admin. Admin is a role, never a group: a
/// system event (kind sys) with allowed_groups, such as Herald's auth.*
/// records, is visible to the admin role only, whatever groups the caller
/// is in.
bool can_see(const identity& who, const v1::Event& ev);

} // namespace herald::runtime
