#pragma once
// The host side of the appliance network: one bridge holding the host's ULA address and one tap
// per instance, owned by the user who runs QEMU. Made and removed through netlink (libnl); taps
// through /dev/net/tun, the kernel's only way to make them. Every operation is idempotent.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "launcher/network/port_redirects.hpp"

namespace trustnet::launcher {

struct NetworkLayout {
  std::string bridge;
  std::string address;  // the host's ULA address on the bridge
  int prefix = 32;
  std::vector<std::string> taps;
  std::vector<PortRedirect> redirects;  // host ports below 1024, through the host's nftables
};

struct LinkState {
  std::string name;
  bool exists = false, up = false;
  bool on_bridge = false;    // taps: enslaved to the layout's bridge
  bool has_address = false;  // bridge: holds the layout's address
  long owner = -1;           // taps: the uid allowed to open it, -1 for anyone
};

struct NetworkState {
  LinkState bridge;
  std::vector<LinkState> taps;
  // The nftables table holds exactly the layout's redirects; unknown to a caller who may not read it.
  std::optional<bool> redirects_in_place;
  bool complete() const;  // everything of the layout exists, is up and wired
};

// What `up` and `down` changed, one line each ("created bridge trustnet0"), empty when nothing.
using NetworkChanges = std::vector<std::string>;

NetworkState network_state(const NetworkLayout& layout);
NetworkChanges network_up(const NetworkLayout& layout, uid_t tap_owner);
NetworkChanges network_down(const NetworkLayout& layout);

}  // namespace trustnet::launcher
