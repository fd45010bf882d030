#pragma once
// RAII owners of the strings and string lists that libguestfs returns to the caller.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/handles/c_handle.hpp"

namespace trustnet::baker {

using GuestString = CHandle<char, std::free>;

// Takes ownership of a NULL-terminated array of strings and copies it out.
inline std::vector<std::string> take_string_list(char** list) {
  std::vector<std::string> items;
  if (!list) return items;
  for (char** p = list; *p; ++p) {
    items.emplace_back(*p);
    std::free(*p);
  }
  std::free(list);
  return items;
}

}  // namespace trustnet::baker
