#pragma once
// The domain's rules, each written once: names, addresses, prefixes and ports, paths in an image,
// digests and keys, what a service is given. Pure functions: a check returns the problem (a
// message that names the value), or nothing when the value is fine; the caller attaches the place
// (YamlMap's readers take a rule beside the key). Both programs' configurations and the release
// and transfer code hold their values to these.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/text_values.hpp"

namespace trustnet {

// Names.
Problem check_user_name(std::string_view name);  // as shadow-utils: 1 to 32 of a-z, 0-9, '_', '-'
Problem check_hostname(std::string_view name);   // one DNS label
Problem check_domain(std::string_view domain);   // DNS labels joined by '.'
// A CometBFT chain id: 1 to 50 letters, digits, '.', '_' or '-', starting with a letter or digit.
Problem check_chain_id(std::string_view chain_id);
// An instance of the launcher's configuration: 1 to 63 lower-case letters, digits and '-'.
Problem check_instance_name(std::string_view name);
// The primary group of the account QEMU runs as: never root's (gid 0) nor the host's disks'.
Problem check_run_group(unsigned gid, std::string_view group_name);
Problem check_service_name(std::string_view name);
// A network interface name as Linux allows it (1 to 15 bytes; no '/', ':', white space, control characters).
Problem check_interface_name(std::string_view name);
// The launcher's bridge: 1 to 15 letters, digits, '_', '.' or '-' (also a word on command lines).
Problem check_bridge_name(std::string_view name);
// A CometBFT moniker: 1 to 64 letters, digits, spaces, '.', '_' or '-'.
Problem check_moniker(std::string_view moniker);

// Addresses and ports.
Problem check_ipv6_ula(std::string_view address);
using Ipv6Address = std::array<uint8_t, 16>;
// The address's 16 bytes (inet_pton), so that equal addresses compare equal however written.
std::optional<Ipv6Address> parse_ipv6(std::string_view address);
// Whether the first `prefix` bits of a and b are the same.
bool same_prefix(const Ipv6Address& a, const Ipv6Address& b, int prefix);
// Addresses that must all differ, compared as addresses (fd10::1 is fd10:0::1): `claim` records
// `holder` for the address and returns nothing, or returns who already holds it.
class DistinctAddresses {
 public:
  std::optional<std::string> claim(const Ipv6Address& address, const std::string& holder);

 private:
  std::map<Ipv6Address, std::string> holders_;
};
// A prefix length written as text ("32"): its bits, or the problem (not a number of bits, or
// outside 8 to 128).
Parsed<int> parse_ipv6_prefix(std::string_view text);
// A TCP port: 1 to 65535. `what` names the field in check_port's message.
std::optional<uint16_t> parse_port(std::string_view text);
Problem check_port(std::string_view text, std::string_view what);
// What a service that speaks plain HTTP listens on: 127.0.0.1:PORT or [::1]:PORT, nothing else
// can reach it. `what` names the field in the message.
Problem check_loopback_listen(std::string_view text, std::string_view what);
// Six lower-case hex bytes joined by ':', not a multicast address.
Problem check_mac_address(std::string_view mac);
// The contact address Let's Encrypt is given.
Problem check_acme_email(std::string_view email);
// A name a public ACME CA can certify: a valid domain of two labels or more, not an address, and
// not under a suffix that is private by definition (.local, .internal, .lan, .home.arpa, ...).
Problem check_public_name(std::string_view name);
// An ACME directory: an https:// URL of printable characters, no spaces or quotes.
Problem check_acme_directory(std::string_view url);

// Paths.
// An absolute path inside the image that cannot climb out of it.
Problem check_image_path(std::string_view path);
// A folder kept on the instance's state disk: an image path of letters, digits and ._- (it is
// written in a space-separated list the appliance reads), in the appliance's own data (under
// /opt, /srv, /home or /var/lib), never the system's or the state disk's own.
Problem check_state_folder(std::string_view path);
// A field of /etc/passwd (gecos, home, shell): printable UTF-8 without ':'.
Problem check_passwd_field(std::string_view text, std::string_view what);
// A file inside a release archive: a relative path that stays inside it.
Problem check_archive_member(std::string_view member);

// Digests, keys, and what services are given.
// Where a recipe's pinned input is downloaded from: https://, http:// (the pin makes it safe) or file:///.
Problem check_input_url(std::string_view url);
Problem check_sha256(std::string_view digest);
// A SHA-256 digest as written (either case): its lower-case form, which the cache and reports
// use, or the problem.
Parsed<std::string> parse_sha256(std::string_view text);
// One authorized_keys line: a public key, never a private one.
Problem check_ssh_public_key(std::string_view line);
// An argument that OpenRC passes through the shell unchanged (also an environment value).
Problem check_service_argument(std::string_view arg);
// A service's description, written between double quotes in its init script.
Problem check_service_description(std::string_view description);
// A variable of a service's environment: letters, digits and '_', not starting with a digit.
Problem check_environment_name(std::string_view name);
// A program the appliance's own scripts run, looked for on the base's PATH: a file name of
// letters, digits and ._+- (mkfs.ext4, ssh-keygen).
Problem check_program_name(std::string_view name);
// An OpenRC runlevel: sysinit, boot, default, nonetwork or shutdown.
Problem check_runlevel(std::string_view runlevel);
// CometBFT's proxy_app: a built-in application, or a tcp:// or unix:// address.
Problem check_proxy_app(std::string_view app);
// A Go duration as CometBFT's config takes it, in whole ms or s ("500ms", "1s"). `what` names the
// field in the message.
Problem check_duration(std::string_view text, std::string_view what);

}  // namespace trustnet
