#include "baker/recipe/recipe.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/util/sha256.hpp"

namespace trustnet::baker {

namespace {

template <typename Users>
auto find_by_name(Users& users, const std::string& name) -> decltype(&users.front()) {
  auto found = std::find_if(users.begin(), users.end(), [&](const UserSpec& user) { return user.name == name; });
  return found == users.end() ? nullptr : &*found;
}

}  // namespace

const UserSpec* Recipe::find_user(const std::string& user_name) const { return find_by_name(users, user_name); }
UserSpec* Recipe::find_user(const std::string& user_name) { return find_by_name(users, user_name); }

std::string Recipe::digest() const {
  Sha256 hash;
  for (const auto& source : sources)
    hash.update(fmt::format("{}  {}\n", source.sha256, source.file.filename().string()));
  return hash.hex_digest();
}

}  // namespace trustnet::baker
