#include "launcher/instance/instance_paths.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

InstancePaths InstancePaths::in(const fs::path& state_dir, const std::string& name) {
  const fs::path dir = state_dir / name;
  return {dir / "disk.qcow2",  dir / "seed.iso",   dir / "efivars.fd",       dir / "serial.log",
          dir / "qmp.sock",    dir / "qemu.pid",   dir / "health.json",      dir / "qemu.log",
          dir / "state.qcow2", dir / "state.json", dir / "supervision.json", dir / "stop-requested"};
}

void require_identity(const InstancePaths& paths, const std::string& name) {
  if (!fs::exists(paths.seed))
    throw Error(
        fmt::format("{} has no identity yet ({} is missing); run `launch init` first", name, paths.seed.string()),
        ExitCode::bad_input);
}

}  // namespace trustnet::launcher
