#pragma once
// Where an installed TrustNet keeps its files (GNUInstallDirs of the build: /etc, /usr/share and
// /var with the prefix /usr). Both programs fall back to these when no option or checkout names
// a file.
#include <filesystem>

namespace trustnet::install_paths {

#ifndef TRUSTNET_SYSCONFDIR
#define TRUSTNET_SYSCONFDIR "/etc"
#endif
#ifndef TRUSTNET_DATADIR
#define TRUSTNET_DATADIR "/usr/share"
#endif
#ifndef TRUSTNET_LOCALSTATEDIR
#define TRUSTNET_LOCALSTATEDIR "/var"
#endif

// The launcher's host configuration.
inline std::filesystem::path launch_config() {
  return std::filesystem::path(TRUSTNET_SYSCONFDIR) / "trustnet" / "launch.yaml";
}
// The recipes and overlays the package ships.
inline std::filesystem::path recipes() { return std::filesystem::path(TRUSTNET_DATADIR) / "trustnet" / "recipes"; }
// root's state folder: identities, seeds, instance disks.
inline std::filesystem::path system_state() {
  return std::filesystem::path(TRUSTNET_LOCALSTATEDIR) / "lib" / "trustnet";
}

}  // namespace trustnet::install_paths
