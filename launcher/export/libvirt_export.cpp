#include "launcher/export/libvirt_export.hpp"

#include <fmt/format.h>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_disk.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

std::vector<ExportedDomain> export_libvirt(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                           const fs::path& out_dir, const DomainSettings& settings) {
  for (const auto& instance : instances)
    require_identity(InstancePaths::in(config.state_dir, instance.identity.name), instance.identity.name);
  // The disks are made from what init recorded: no init may change it meanwhile.
  const FileLock lock = lock_or_refuse(config.state_dir / ".lock", "launch export", config.state_dir.string());
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) throw Error(fmt::format("cannot create {}: {}", out_dir.string(), error.message()));
  std::vector<ExportedDomain> exported;
  for (const auto& instance : instances) {
    const std::string& name = instance.identity.name;
    const InstancePaths paths = InstancePaths::in(config.state_dir, name);
    const GoldenRecord golden = verify_golden_image(config.state_dir, instance, config.trusted_key);
    ExportedDomain domain{name, out_dir / (name + ".xml"),
                          prepare_instance_disk(instance, paths, golden, settings.firmware).done, ""};
    const DiskIoChoice io = choose_instance_disk_io(name, paths.disk);
    domain.disk_io = io.summary();
    // Paths and a MAC only, no secret: readable like any libvirt definition.
    write_file_atomically(domain.file, libvirt_domain_xml(instance, paths, config.bridge_name, settings, io.io),
                          fs::perms(0644));
    exported.push_back(std::move(domain));
  }
  return exported;
}

}  // namespace trustnet::launcher
