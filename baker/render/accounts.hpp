#pragma once
// Edits of /etc/passwd, /etc/group and /etc/shadow as text: add or update the recipe's users
// without ever duplicating one, keep every other line as it was.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

struct AccountFiles {
  std::string passwd, group, shadow;
};

// A base account that remove_users deleted: what the report says and where its home was.
struct RemovedUser {
  std::string name, uid, home;
  std::vector<std::string> left_groups;  // supplementary groups it was a member of
  bool group_removed = false;            // its own group (same name, no other members)
};
struct AccountRemoval {
  AccountFiles files;
  std::vector<RemovedUser> removed;
  std::vector<std::string> absent;  // named, but not in the base
};
// Deletes each user's passwd and shadow lines, its membership of every group, and its own group
// when no one else is in it.
AccountRemoval remove_users(const AccountFiles& files, const std::vector<std::string>& names);

// Throws Error when a uid or gid is taken by another account or a supplementary group is missing.
AccountFiles apply_users(const AccountFiles& files, const std::vector<UserSpec>& users);

// Id of a user or group name in passwd/group text; numbers are returned as they are.
std::optional<uint32_t> find_uid(const std::string& passwd, const std::string& name);
std::optional<uint32_t> find_gid(const std::string& group, const std::string& name);

}  // namespace trustnet::baker
