#include "baker/execute/guestfs/device_names.hpp"

#include <cctype>

namespace trustnet::baker {

std::optional<PartitionName> parse_partition_name(std::string_view device) {
  for (std::string_view prefix : {"/dev/sd", "/dev/vd"}) {
    if (!device.starts_with(prefix)) continue;
    const std::string_view rest = device.substr(prefix.size());
    size_t letters = 0;
    while (letters < rest.size() && std::islower(static_cast<unsigned char>(rest[letters]))) ++letters;
    const std::string_view digits = rest.substr(letters);
    if (letters == 0 || digits.empty() || digits.size() > 3 || digits[0] == '0') return std::nullopt;
    int number = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      number = number * 10 + (c - '0');
    }
    return PartitionName{std::string(device.substr(0, prefix.size() + letters)), number};
  }
  return std::nullopt;
}

}  // namespace trustnet::baker
