#include "baker/execute/root_inspection.hpp"

#include <cstdio>

#include "baker/execute/elf_machine.hpp"
#include "baker/execute/os_release.hpp"

namespace trustnet::baker {

std::optional<Inspection> inspect_root(RootFilesystem& root, const std::string& root_device,
                                       const std::string& filesystem) {
  const auto os_release = root.read_through_links("/etc/os-release", 64 << 10);
  if (!os_release) return std::nullopt;
  auto fields = parse_os_release(*os_release);
  Inspection found;
  found.root_device = root_device;
  found.filesystem = filesystem;
  found.type = "linux";
  found.distro = distro_from_os_release_id(fields["ID"]);
  found.product = fields.count("PRETTY_NAME") ? fields["PRETTY_NAME"] : fields["NAME"];
  std::sscanf(fields["VERSION_ID"].c_str(), "%d.%d", &found.major, &found.minor);
  // The first shell or core program there is says the architecture (its ELF header).
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
