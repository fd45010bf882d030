#pragma once
// Host ports below 1024 that reach an instance: QEMU, with no capability, cannot open them, so
// the host's own nftables redirect each to the unprivileged port QEMU listens on (`via`). One
// table of the launcher's, named after the bridge, replaced whole in one transaction by `launch
// network up` and deleted by `launch network down`; nothing else of the host's rules is touched.
#include <optional>
#include <string>
#include <vector>

namespace trustnet::launcher {

struct PortRedirect {
  int from = 0, to = 0;  // TCP: the public port, and the port QEMU listens on
  std::string instance;
};

// The nftables table's name: "trustnet_" and the bridge's name ('-' and '.' as '_').
std::string redirect_table(const std::string& bridge);
// The ruleset `nft -f` reads: the table, deleted and made again in the same transaction, or only
// deleted when there is no redirect. Pure: tested by nftables itself in dry-run mode.
std::string render_port_redirects(const std::string& bridge, const std::vector<PortRedirect>& redirects);

// Whether the listed table (`nft list table`'s text) redirects every port as asked.
bool redirects_in_place(const std::string& listed, const std::vector<PortRedirect>& redirects);

// Runs commands through libnftables and returns what they print (dry_run: checked by nftables and
// the kernel, not applied). Throws with nftables' own first line.
std::string run_nft(const std::string& commands, bool dry_run = false);
// The table as the kernel holds it, empty when there is none; nothing when this process may not
// read the host's rules (not root: only `launch network up` needs to).
std::optional<std::string> list_redirect_table(const std::string& bridge);

}  // namespace trustnet::launcher
