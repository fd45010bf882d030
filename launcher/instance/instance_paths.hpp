#pragma once
// Where an instance's files live in the state folder, and the host's UEFI firmware its variable
// store starts from.
#include <filesystem>
#include <string>

namespace trustnet::launcher {

struct InstancePaths {
  std::filesystem::path disk, seed, efi_vars, serial_log, qmp_socket, pid_file, health_record;
  std::filesystem::path qemu_log;  // what QEMU itself prints (its errors)
  // The state disk and its record (made once; its absence after that is refused, never papered over).
  std::filesystem::path state_disk, state_record;
  // What `launch run`'s supervised runs have been (supervision_record.hpp).
  std::filesystem::path supervision_record;
  // Present while `launch stop` powers the instance down (stop_request.hpp).
  std::filesystem::path stop_request;
  static InstancePaths in(const std::filesystem::path& state_dir, const std::string& name);
};

struct Firmware {
  std::filesystem::path code = "/usr/share/AAVMF/AAVMF_CODE.fd";  // qemu-efi-aarch64
  std::filesystem::path vars_template = "/usr/share/AAVMF/AAVMF_VARS.fd";
};

// `launch init` has made the instance's seed disk; refused with the way out otherwise.
void require_identity(const InstancePaths& paths, const std::string& name);

}  // namespace trustnet::launcher
