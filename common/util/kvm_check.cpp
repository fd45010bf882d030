#include "common/util/kvm_check.hpp"

#include <fcntl.h>
#include <sys/utsname.h>

#include <cerrno>
#include <string_view>

#include "common/handles/unique_fd.hpp"
#include "common/util/process.hpp"

namespace trustnet {

std::vector<std::string> kvm_check_command(const std::string& qemu, const std::string& machine) {
  return {"timeout", "30", qemu,          "-accel",   "kvm",  "-machine", machine, "-cpu", "host",
          "-m",      "16", "-nodefaults", "-display", "none", "-S",       "-qmp",  "stdio"};
}

namespace {

// QEMU's last line of complaint, which names the fault ("error: failed to set MSR 0x10a to 0x69").
std::string last_words(const ProcessResult& result) {
  std::string_view text = result.err;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  for (size_t line = 0; !text.empty(); text.remove_prefix(line + 1)) {
    line = text.find('\n');
    const std::string_view first = text.substr(0, line);
    if (first.find("error") != std::string_view::npos || line == std::string_view::npos) {
      std::string words(first);
      if (const auto colon = words.find(": "); words.starts_with("qemu-system") && colon != std::string::npos)
        words.erase(0, colon + 2);
      return words.empty() ? "exit status " + std::to_string(result.exit_status) : words;
    }
  }
  return "exit status " + std::to_string(result.exit_status);
}

}  // namespace

KvmVerdict check_kvm(const std::string& qemu, const std::string& machine) {
  {
    const UniqueFd device(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
    if (!device.valid())
      return errno == ENOENT ? KvmVerdict{false, false, "no /dev/kvm"}
                             : KvmVerdict{false, true, "/dev/kvm cannot be opened by this user"};
  }
  ProcessResult result;
  try {
    result = run_process_with_input(kvm_check_command(qemu, machine),
                                    "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n");
  } catch (const std::exception& e) {
    return {false, true, e.what()};
  }
  if (result.exit_status == 0) return {true, true, ""};
  if (result.exit_status == 124) return {false, true, qemu + " with -accel kvm did not answer within 30 s"};
  return {false, true, qemu + " -accel kvm: " + last_words(result)};
}

const KvmVerdict& host_kvm() {
  static const KvmVerdict verdict = [] {
    utsname host{};
    ::uname(&host);
    const std::string arch = host.machine;
    const bool arm = arch == "aarch64";
    return check_kvm("qemu-system-" + arch, arm ? "virt" : "q35");
  }();
  return verdict;
}

}  // namespace trustnet
