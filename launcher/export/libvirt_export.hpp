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
};

// Needs `launch init` (the seeds); verifies each golden image against its record and makes the
// instance disk and variable store when `launch all` has not yet. The XML files are written
// whole (write-then-rename).
std::vector<ExportedDomain> export_libvirt(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                           const std::filesystem::path& out_dir, const DomainSettings& settings);

}  // namespace trustnet::launcher
