#pragma once
// libguestfs names the appliance's disks /dev/sdX (or /dev/vdX) and their partitions by the
// disk's name and the number: read from the name instead of asking the appliance (part_to_dev,
// part_to_partnum: about 0.1 s a call under TCG).
#include <optional>
#include <string>
#include <string_view>

namespace trustnet::baker {

struct PartitionName {
  std::string disk;  // /dev/sda
  int number = 0;    // 2 for /dev/sda2
};

// Nothing for names of another form (the appliance is then asked).
std::optional<PartitionName> parse_partition_name(std::string_view device);

}  // namespace trustnet::baker
