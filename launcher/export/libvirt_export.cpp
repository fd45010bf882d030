#include "launcher/export/libvirt_export.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_disk.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

std::vector<ExportedDomain> prepare_libvirt_domains(const LaunchConfig& config,
                                                    const std::vector<InstanceConfig>& instances,
                                                    const DomainSettings& settings) {
  for (const auto& instance : instances)
    require_identity(InstancePaths::in(config.state_dir, instance.identity.name), instance.identity.name);
  // The disks are made from what init recorded: no init may change it meanwhile.
  const FileLock lock = lock_or_refuse(config.state_dir / ".lock", "launch export", config.state_dir.string());
  std::vector<ExportedDomain> domains;
  for (const auto& instance : instances) {
    const std::string& name = instance.identity.name;
    const InstancePaths paths = InstancePaths::in(config.state_dir, name);
    const GoldenRecord golden = verify_golden_image(config.state_dir, instance, config.trusted_key);
    ExportedDomain domain{name, "", prepare_instance_disk(instance, paths, golden, settings.firmware).done, "", {}};
    const DiskIoChoice io = choose_instance_disk_io(name, paths.disk);
    domain.disk_io = io.summary();
    domain.xml = libvirt_domain_xml(instance, paths, config.bridge_name, settings, io.io);
    domains.push_back(std::move(domain));
  }
  return domains;
}

void write_libvirt_domains(std::vector<ExportedDomain>& domains, const fs::path& out_dir,
                           std::optional<std::pair<uid_t, gid_t>> owner) {
  const bool made = !fs::exists(out_dir);
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) throw Error(fmt::format("cannot create {}: {}", out_dir.string(), error.message()));
  const auto give = [&](const fs::path& path) {
    if (owner && ::lchown(path.c_str(), owner->first, owner->second) != 0)
      throw Error(fmt::format("cannot give {} to uid {}: {}", path.string(), owner->first, std::strerror(errno)));
  };
  if (made) give(out_dir);
  for (auto& domain : domains) {
    domain.file = out_dir / (domain.name + ".xml");
    // Paths and a MAC only, no secret: readable like any libvirt definition.
    write_file_atomically(domain.file, domain.xml, fs::perms(0644));
    give(domain.file);
  }
}

std::string domains_to_json(const std::vector<ExportedDomain>& domains) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : domains)
    list.push_back({{"name", d.name}, {"xml", d.xml}, {"prepared", d.prepared}, {"disk_io", d.disk_io}});
  return list.dump();
}

std::vector<ExportedDomain> domains_from_json(const std::string& text) {
  std::vector<ExportedDomain> domains;
  try {
    for (const auto& d : nlohmann::json::parse(text))
      domains.push_back({d.at("name").get<std::string>(),
                         d.at("xml").get<std::string>(),
                         d.at("prepared").get<std::vector<std::string>>(),
                         d.at("disk_io").get<std::string>(),
                         {}});
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("the export's answer from the run user is not the domains ({})", e.what()));
  }
  return domains;
}

}  // namespace trustnet::launcher
