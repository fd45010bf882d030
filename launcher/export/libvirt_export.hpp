#pragma once
// `launch export libvirt`: one domain XML per instance, using the disks and seed launch made, for
// a libvirt host to define and run instead of `launch all`.
#include <filesystem>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/export/libvirt_domain.hpp"

namespace trustnet::launcher {

struct ExportedDomain {
  std::string name;                   // the instance
  std::filesystem::path file;         // OUT/NAME.xml
  std::vector<std::string> prepared;  // what was made for it ("created disk …"), if anything
  std::string disk_io;                // the instance disk's I/O mode, as this host accepts it
};

// Needs `launch init` (the seeds); verifies each golden image against its record and makes the
// instance disk and variable store when `launch all` has not yet; the disk's I/O mode is the
// one this host accepts (choose_disk_io), as for `launch all`. The XML files are written
// whole (write-then-rename).
std::vector<ExportedDomain> export_libvirt(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                           const std::filesystem::path& out_dir, const DomainSettings& settings);

}  // namespace trustnet::launcher
