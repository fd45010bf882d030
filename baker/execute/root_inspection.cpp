#include "baker/execute/root_inspection.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "baker/execute/elf_machine.hpp"
#include "baker/execute/os_release.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
// What libguestfs' inspection reports, read from the filesystem: os-release and the
// architecture of the shell.
Inspection inspect_root(Ext4Root& root, const DirectDisk& disk) {
  Inspection found;
  found.root_device = fmt::format("partition {}", disk.root_partition.number);
  found.filesystem = root.type();
  const auto os_release = root.read_through_links("/etc/os-release", 64 << 10);
  if (!os_release)
    throw Error(fmt::format("inspection found no operating system on partition {} (no /etc/os-release)",
                            disk.root_partition.number));
  auto fields = parse_os_release(*os_release);
  found.type = "linux";
  found.distro = distro_from_os_release_id(fields["ID"]);
  found.product = fields.count("PRETTY_NAME") ? fields["PRETTY_NAME"] : fields["NAME"];
  std::sscanf(fields["VERSION_ID"].c_str(), "%d.%d", &found.major, &found.minor);
  for (const char* binary : {"/bin/busybox", "/bin/sh", "/bin/ls", "/usr/bin/env"}) {
    const auto header = root.read_through_links(binary, 64);
    if (!header) continue;
    found.arch = elf_architecture(*header).value_or("unknown");
    break;
  }
  if (found.arch.empty()) found.arch = "unknown";
  return found;
}

}  // namespace trustnet::baker
