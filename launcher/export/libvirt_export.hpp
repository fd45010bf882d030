#pragma once
// `launch export libvirt`: one domain XML per instance, using the disks and seed launch made, for
// a libvirt host to define and run instead of `launch all`.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/export/libvirt_domain.hpp"

namespace trustnet::launcher {

struct ExportedDomain {
  std::string name;                   // the instance
  std::string xml;                    // the domain definition
  std::vector<std::string> prepared;  // what was made for it ("created disk …"), if anything
  std::string disk_io;                // the instance disk's I/O mode, as this host accepts it
  std::filesystem::path file;         // OUT/NAME.xml, once written
};

// The state folder's part, as the run user: needs `launch init` (the seeds); verifies each golden
// image against its record and makes the instance disk and variable store when `launch all` has
// not yet; the disk's I/O mode is the one this host accepts (choose_disk_io), as for `launch all`.
std::vector<ExportedDomain> prepare_libvirt_domains(const LaunchConfig& config,
                                                    const std::vector<InstanceConfig>& instances,
                                                    const DomainSettings& settings);

// The caller's part: OUT/NAME.xml for each, written whole (write-then-rename), 0644, given to
// `owner` (uid, gid) when set (the operator who ran sudo); `out_dir` is made when missing.
void write_libvirt_domains(std::vector<ExportedDomain>& domains, const std::filesystem::path& out_dir,
                           std::optional<std::pair<uid_t, gid_t>> owner);

// The domains as JSON text, and back: what the run user's part hands the caller's.
std::string domains_to_json(const std::vector<ExportedDomain>& domains);
std::vector<ExportedDomain> domains_from_json(const std::string& text);

}  // namespace trustnet::launcher
