#pragma once
// Checks made before any instance starts, so that a start either begins for every selected
// instance or fails with one line naming what is wrong: QEMU installed, no instance already
// running, identities made by `launch init`, forwarded ports free, bridge and taps in place.
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/instance_paths.hpp"
#include "launcher/network/host_network.hpp"
#include "launcher/qemu/accel.hpp"
#include "launcher/run/instance_host.hpp"

namespace trustnet::launcher {

// The bridge, its address and one tap per instance, as the configuration says.
NetworkLayout network_layout(const LaunchConfig& config);

// The facts of this host that choose the accelerator.
HostFacts this_host();

// The host and the state folder: throws the first problem found; stale pid files of dead
// processes are removed on the way and reported in the returned notes.
std::vector<std::string> preflight_host(InstanceHost& host, const LaunchConfig& config,
                                        const std::vector<InstanceConfig>& instances);
// The bridge and the instances' taps, made by `launch network up`.
void preflight_network(const LaunchConfig& config, const std::vector<InstanceConfig>& instances);

// True when nothing listens on (and nothing else holds) 127.0.0.1:port.
bool loopback_port_free(int port);

}  // namespace trustnet::launcher
