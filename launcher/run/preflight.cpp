#include "launcher/run/preflight.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"
#include "common/util/kvm_check.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/network/host_network.hpp"
#include "launcher/network/tap_name.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

NetworkLayout network_layout(const LaunchConfig& config) {
  NetworkLayout layout{config.bridge_name, config.bridge_address, config.bridge_prefix, {}};
  for (const auto& instance : config.instances) {
    layout.taps.push_back(tap_name(instance.identity.name));
    for (const auto& forward : instance.forwards)
      if (forward.via) layout.redirects.push_back({forward.host, forward.via, instance.identity.name});
  }
  return layout;
}

HostFacts this_host() {
  utsname host{};
  if (::uname(&host) < 0) throw Error("uname failed");
  HostFacts facts{std::string(host.sysname) == "Darwin" ? "darwin" : "linux", host.machine,
                  ::access("/dev/kvm", F_OK) == 0, ""};
  // Asked of QEMU only where KVM could run the appliances (aarch64 on aarch64), once per process.
  if (facts.os == "linux" && facts.arch == "aarch64" && facts.dev_kvm && !host_kvm().works)
    facts.kvm_broken = host_kvm().reason;
  return facts;
}

bool loopback_port_free(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  int yes = 1;
  // Like QEMU's own listener: connections in TIME_WAIT do not hold the port.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes)) < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

std::vector<std::string> preflight_host(InstanceHost& host, const LaunchConfig& config,
                                        const std::vector<InstanceConfig>& instances) {
  std::vector<std::string> notes;
  for (const char* program : {"qemu-system-aarch64", "qemu-img", "qemu-io"})
    if (!host.has_program(program))
      throw Error(fmt::format(
          "{} is not installed (not found in PATH); install Debian's qemu-system-arm and qemu-utils", program));
  for (const auto& instance : instances) {
    const std::string& name = instance.identity.name;
    const InstancePaths paths = InstancePaths::in(config.state_dir, name);
    const Runtime runtime = host.runtime(paths);
    if (runtime.state == RunState::running)
      throw Error(fmt::format("{} is already running (pid {}); `launch stop {}` first", name, runtime.pid, name),
                  ExitCode::bad_input);
    if (runtime.state == RunState::stale) {
      host.remove_runtime(paths);
      notes.push_back(fmt::format("{}: removed the stale pid file of a QEMU that is gone", name));
    }
    require_identity(paths, name);
    if (instance.boot == BootMode::direct)
      for (const auto& file : {instance.kernel, instance.initrd})
        if (!fs::is_regular_file(file))
          throw Error(instance.where, fmt::format("{}: direct boot file {} does not exist", name, file.string()));
    for (const auto& forward : instance.forwards)
      if (!host.loopback_port_free(forward.qemu_port()))
        throw Error(
            fmt::format("{}: port 127.0.0.1:{} (forwarded to guest port {}) is already in use by another program", name,
                        forward.qemu_port(), forward.guest));
  }
  return notes;
}

void preflight_network(const LaunchConfig& config, const std::vector<InstanceConfig>& instances) {
  LaunchConfig selected = config;
  selected.instances = instances;
  const NetworkLayout layout = network_layout(selected);
  const NetworkState state = network_state(layout);
  if (!state.bridge.exists)
    throw Error(fmt::format("bridge {} does not exist; run `sudo launch network up` first", layout.bridge));
  if (!state.bridge.up || !state.bridge.has_address)
    throw Error(fmt::format("bridge {} is down or lacks {}/{}; run `sudo launch network up`", layout.bridge,
                            layout.address, layout.prefix));
  if (state.redirects_in_place == false)
    throw Error(
        fmt::format("the host's redirects of ports below 1024 (nftables table ip {}) are missing or "
                    "differ from the configuration; run `sudo launch network up`",
                    redirect_table(layout.bridge)));
  const long uid = static_cast<long>(::getuid());
  for (const auto& tap : state.taps) {
    if (!tap.exists || !tap.on_bridge || !tap.up)
      throw Error(fmt::format("tap {} is {}; run `sudo launch network up`", tap.name,
                              !tap.exists ? "missing" : "not up on " + layout.bridge));
    if (uid != 0 && tap.owner != -1 && tap.owner != uid)
      throw Error(
          fmt::format("tap {} belongs to uid {} but QEMU would run as uid {}; run `sudo launch network up --owner {}`",
                      tap.name, tap.owner, uid, uid));
  }
}

}  // namespace trustnet::launcher
