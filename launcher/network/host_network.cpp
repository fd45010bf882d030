#include "launcher/network/host_network.hpp"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/route/link/bridge.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "launcher/network/net_admin.hpp"
#include "launcher/network/nl_object.hpp"
#include "launcher/network/nl_socket.hpp"
#include "launcher/network/tap_device.hpp"

namespace trustnet::launcher {

bool NetworkState::complete() const {
  return bridge.exists && bridge.up && bridge.has_address &&
         std::all_of(taps.begin(), taps.end(),
                     [](const LinkState& tap) { return tap.exists && tap.up && tap.on_bridge; }) &&
         redirects_in_place.value_or(true);
}

namespace {

[[noreturn]] void fail(int rc, const std::string& doing) {
  if (rc == -NLE_PERM) throw net_admin_missing(doing);
  throw Error(fmt::format("{}: {}", doing, nl_geterror(rc)));
}

LinkPtr find_link(const NlSocket& sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int rc = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &link);
  if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV) return nullptr;
  if (rc < 0) fail(rc, "reading link " + name);
  return LinkPtr(link);
}

NlAddrPtr parse_address(const NetworkLayout& layout) {
  nl_addr* parsed = nullptr;
  const std::string text = fmt::format("{}/{}", layout.address, layout.prefix);
  if (int rc = nl_addr_parse(text.c_str(), AF_INET6, &parsed); rc < 0) fail(rc, "parsing address " + text);
  return NlAddrPtr(parsed);
}

bool bridge_has_address(const NlSocket& sock, int ifindex, const NetworkLayout& layout) {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(sock.get(), &raw); rc < 0) fail(rc, "listing addresses");
  CachePtr cache(raw);
  NlAddrPtr wanted = parse_address(layout);
  for (nl_object* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_ifindex(addr) == ifindex && rtnl_addr_get_family(addr) == AF_INET6 &&
        nl_addr_cmp(rtnl_addr_get_local(addr), wanted.get()) == 0)
      return true;
  }
  return false;
}

// What one kernel query of a link (null when it does not exist) says.
LinkState link_state(const std::string& name, rtnl_link* link) {
  LinkState state{name};
  if (link) {
    state.exists = true;
    state.up = rtnl_link_get_flags(link) & IFF_UP;
  }
  return state;
}

// Brings `name` up and, when `master` is not 0, puts it on that bridge.
void set_up(const NlSocket& sock, const std::string& name, int master) {
  LinkPtr link = find_link(sock, name);
  if (!link) throw Error(fmt::format("link {} vanished while it was being set up", name));
  LinkPtr change(rtnl_link_alloc());
  if (!change) throw Error("netlink: out of memory");
  if (master) rtnl_link_set_master(change.get(), master);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int rc = rtnl_link_change(sock.get(), link.get(), change.get(), 0); rc < 0) fail(rc, "bringing up " + name);
}

}  // namespace

NetworkState network_state(const NetworkLayout& layout) {
  NlSocket sock;
  NetworkState state;
  const LinkPtr bridge = find_link(sock, layout.bridge);
  state.bridge = link_state(layout.bridge, bridge.get());
  int bridge_index = 0;
  if (bridge) {
    bridge_index = rtnl_link_get_ifindex(bridge.get());
    state.bridge.has_address = bridge_has_address(sock, bridge_index, layout);
  }
  for (const auto& name : layout.taps) {
    const LinkPtr link = find_link(sock, name);
    LinkState tap = link_state(name, link.get());
    tap.on_bridge = link && bridge_index && rtnl_link_get_master(link.get()) == bridge_index;
    tap.owner = tap_owner(name);
    state.taps.push_back(tap);
  }
  if (const auto listed = list_redirect_table(layout.bridge))
    state.redirects_in_place = redirects_in_place(*listed, layout.redirects);
  return state;
}

NetworkChanges network_up(const NetworkLayout& layout, uid_t tap_owner_uid) {
  NlSocket sock;
  NetworkChanges changes;
  LinkPtr bridge = find_link(sock, layout.bridge);
  if (bridge && !rtnl_link_is_bridge(bridge.get()))
    throw Error(
        fmt::format("{} exists but is not a bridge; choose another bridge name in the configuration", layout.bridge));
  if (!bridge) {
    LinkPtr fresh(rtnl_link_bridge_alloc());
    if (!fresh) throw Error("netlink: out of memory");
    rtnl_link_set_name(fresh.get(), layout.bridge.c_str());
    if (int rc = rtnl_link_add(sock.get(), fresh.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
      fail(rc, "creating bridge " + layout.bridge);
    changes.push_back("created bridge " + layout.bridge);
    bridge = find_link(sock, layout.bridge);
    if (!bridge) throw Error(fmt::format("bridge {} was created but cannot be found", layout.bridge));
  }
  const int bridge_index = rtnl_link_get_ifindex(bridge.get());
  if (!(rtnl_link_get_flags(bridge.get()) & IFF_UP)) {
    set_up(sock, layout.bridge, 0);
    changes.push_back("brought up " + layout.bridge);
  }
  if (!bridge_has_address(sock, bridge_index, layout)) {
    AddrPtr addr(rtnl_addr_alloc());
    if (!addr) throw Error("netlink: out of memory");
    NlAddrPtr local = parse_address(layout);
    rtnl_addr_set_ifindex(addr.get(), bridge_index);
    if (int rc = rtnl_addr_set_local(addr.get(), local.get()); rc < 0) fail(rc, "setting address");
    // No duplicate address detection: the bridge is ours, and the address is usable at once.
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    if (int rc = rtnl_addr_add(sock.get(), addr.get(), 0); rc < 0 && rc != -NLE_EXIST)
      fail(rc, fmt::format("adding {}/{} to {}", layout.address, layout.prefix, layout.bridge));
    changes.push_back(fmt::format("added {}/{} to {}", layout.address, layout.prefix, layout.bridge));
  }
  for (const auto& name : layout.taps) {
    LinkPtr tap = find_link(sock, name);
    if (tap && std::string(rtnl_link_get_type(tap.get()) ? rtnl_link_get_type(tap.get()) : "") != "tun")
      throw Error(fmt::format("{} exists but is not a tap; remove it or rename the instance", name));
    if (!tap) {
      create_persistent_tap(name, tap_owner_uid);
      changes.push_back(fmt::format("created tap {} for uid {}", name, tap_owner_uid));
      tap = find_link(sock, name);
      if (!tap) throw Error(fmt::format("tap {} was created but cannot be found", name));
    } else if (tap_owner(name) != static_cast<long>(tap_owner_uid)) {
      throw Error(fmt::format("tap {} belongs to uid {}, not {}; run `launch network down` first", name,
                              tap_owner(name), tap_owner_uid));
    }
    if (rtnl_link_get_master(tap.get()) != bridge_index || !(rtnl_link_get_flags(tap.get()) & IFF_UP)) {
      set_up(sock, name, bridge_index);
      changes.push_back(fmt::format("attached {} to {}", name, layout.bridge));
    }
  }
  // The redirects, replaced whole when they differ from the layout's (or removed when it has none).
  const auto listed = list_redirect_table(layout.bridge);
  if (!listed && !layout.redirects.empty()) throw net_admin_missing("redirecting host ports below 1024");
  if (listed && !redirects_in_place(*listed, layout.redirects)) {
    run_nft(render_port_redirects(layout.bridge, layout.redirects));
    for (const auto& r : layout.redirects)
      changes.push_back(fmt::format("redirected host port {} to {} ({}) in nftables table ip {}", r.from, r.to,
                                    r.instance, redirect_table(layout.bridge)));
    if (layout.redirects.empty()) changes.push_back("removed nftables table ip " + redirect_table(layout.bridge));
  }
  return changes;
}

NetworkChanges network_down(const NetworkLayout& layout) {
  NlSocket sock;
  NetworkChanges changes;
  auto remove = [&](const std::string& name, const char* what) {
    LinkPtr link = find_link(sock, name);
    if (!link) return;
    // Only what `up` would have made: a link of that name of another kind is someone else's.
    const char* type = rtnl_link_get_type(link.get());
    const std::string expected = std::string(what) == "tap" ? "tun" : "bridge";
    if (!type || type != expected)
      throw Error(fmt::format("{} is not a {}; left alone, remove it yourself if it is not needed", name, what));
    if (int rc = rtnl_link_delete(sock.get(), link.get()); rc < 0) fail(rc, fmt::format("removing {} {}", what, name));
    changes.push_back(fmt::format("removed {} {}", what, name));
  };
  for (const auto& name : layout.taps) remove(name, "tap");
  remove(layout.bridge, "bridge");
  if (!list_redirect_table(layout.bridge).value_or("").empty()) {
    run_nft(render_port_redirects(layout.bridge, {}));
    changes.push_back("removed nftables table ip " + redirect_table(layout.bridge));
  }
  return changes;
}

}  // namespace trustnet::launcher
