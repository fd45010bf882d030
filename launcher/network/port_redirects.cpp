#include "launcher/network/port_redirects.hpp"

#include <fmt/format.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "common/util/error.hpp"

namespace trustnet::launcher {

std::string redirect_table(const std::string& bridge) {
  std::string table = "trustnet_" + bridge;
  for (char& c : table)
    if (c == '-' || c == '.') c = '_';
  return table;
}

std::string render_port_redirects(const std::string& bridge, const std::vector<PortRedirect>& redirects) {
  const std::string table = redirect_table(bridge);
  // "table" first makes the delete succeed when the table does not exist yet.
  std::string text = fmt::format("table ip {0}\ndelete table ip {0}\n", table);
  if (redirects.empty()) return text;
  std::string prerouting, output;
  for (const auto& r : redirects) {
    prerouting += fmt::format("\t\ttcp dport {} redirect to :{} comment \"{}\"\n", r.from, r.to, r.instance);
    // The host's own connections to one of its addresses (a probe of the public name).
    output +=
        fmt::format("\t\tfib daddr type local tcp dport {} redirect to :{} comment \"{}\"\n", r.from, r.to, r.instance);
  }
  text += fmt::format("table ip {} {{\n", table);
  text += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n" + prerouting + "\t}\n";
  // -100 is dstnat's value; nftables names it only for prerouting.
  text += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n" + output + "\t}\n";
  return text + "}\n";
}

bool redirects_in_place(const std::string& listed, const std::vector<PortRedirect>& redirects) {
  if (listed.empty()) return redirects.empty();
  size_t rules = 0;
  for (size_t at = 0; (at = listed.find(" redirect to :", at)) != std::string::npos; ++at) ++rules;
  if (rules != 2 * redirects.size()) return false;  // prerouting and output, one each
  for (const auto& r : redirects)
    if (listed.find(fmt::format("tcp dport {} redirect to :{} ", r.from, r.to)) == std::string::npos) return false;
  return true;
}

std::string run_nft(const std::string& commands, bool dry_run) {
  std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  if (!ctx) throw Error("nftables: cannot make a context (out of memory)");
  if (nft_ctx_buffer_error(ctx.get()) != 0 || nft_ctx_buffer_output(ctx.get()) != 0)
    throw Error("nftables: cannot buffer its messages");
  nft_ctx_set_dry_run(ctx.get(), dry_run);
  if (nft_run_cmd_from_buffer(ctx.get(), commands.c_str()) != 0) {
    std::string said = nft_ctx_get_error_buffer(ctx.get());
    const size_t first_line_end = said.find('\n');
    if (first_line_end != std::string::npos) said.resize(first_line_end);
    throw Error(fmt::format("nftables: {}", said.empty() ? "refused, with no reason given" : said));
  }
  const char* printed = nft_ctx_get_output_buffer(ctx.get());
  return printed ? printed : "";
}

namespace {

// Whether this process holds CAP_NET_ADMIN in its effective set. Asked first: libnftables, refused,
// prints to stderr on its own.
bool has_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return data[CAP_NET_ADMIN / 32].effective & (1U << (CAP_NET_ADMIN % 32));
}

}  // namespace

std::optional<std::string> list_redirect_table(const std::string& bridge) {
  if (!has_net_admin()) return std::nullopt;
  try {
    return run_nft(fmt::format("list table ip {}", redirect_table(bridge)));
  } catch (const Error& e) {
    if (std::string_view(e.what()).find("Operation not permitted") != std::string_view::npos) return std::nullopt;
    return "";  // no such table (or no nftables in this kernel: nothing to list either)
  }
}

}  // namespace trustnet::launcher
