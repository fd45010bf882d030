#pragma once
// Checks of single recipe values. Pure functions: each returns the problem, or nothing when the
// value is fine, so the caller can attach the file position.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

using Problem = std::optional<std::string>;

// What a parse_* function makes of text: the value, or the problem (then `value` is empty).
template <class T>
struct Parsed {
  T value{};
  Problem problem;
};

Problem check_ipv6_ula(std::string_view address);
// A prefix length written as text ("32"): its bits, or the problem (not a number of bits, or
// outside 8 to 128).
Parsed<int> parse_ipv6_prefix(std::string_view text);
Problem check_user_name(std::string_view name);
Problem check_hostname(std::string_view name);
Problem check_domain(std::string_view domain);
// A CometBFT chain id: 1 to 50 letters, digits, '.', '_' or '-', starting with a letter or digit.
Problem check_chain_id(std::string_view chain_id);
// An instance of the launcher's configuration: 1 to 63 lower-case letters, digits and '-'.
Problem check_instance_name(std::string_view name);
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

// An absolute path inside the image that cannot climb out of it.
Problem check_image_path(std::string_view path);
// A folder kept on the instance's state disk: an image path of letters, digits and ._- (it is
// written in a space-separated list the appliance reads), in the appliance's own data (under
// /opt, /srv, /home or /var/lib), never the system's or the state disk's own.
Problem check_state_folder(std::string_view path);
// A network interface name as Linux allows it (1 to 15 bytes; no '/', ':', white space, control characters).
Problem check_interface_name(std::string_view name);
// A field of /etc/passwd (gecos, home, shell): printable UTF-8 without ':'.
Problem check_passwd_field(std::string_view text, std::string_view what);
// `text` with control characters written as \n or \xNN: a message stays one line.
std::string printable(std::string_view text);
// ASCII letters in lower case, every other byte as it is: for names compared without regard to
// case (HTTP header and scheme names, WWW-Authenticate tokens, sshd keywords).
std::string ascii_lower(std::string_view text);
Problem check_sha256(std::string_view digest);
// A SHA-256 digest as written (either case): its lower-case form, which the cache and reports
// use, or the problem.
Parsed<std::string> parse_sha256(std::string_view text);
Problem check_service_name(std::string_view name);
// An argument that OpenRC passes through the shell unchanged.
Problem check_service_argument(std::string_view arg);
// One authorized_keys line: a public key, never a private one.
Problem check_ssh_public_key(std::string_view line);

// Decimal digits only: no sign, no spaces, not empty.
bool is_decimal(std::string_view text);
// A whole number written in decimal digits only, from `min` to `max` (at most 19 digits).
std::optional<uint64_t> parse_bounded_uint(std::string_view text, uint64_t min, uint64_t max);
// A TCP port: 1 to 65535.
std::optional<uint16_t> parse_port(std::string_view text);
std::optional<uint32_t> parse_mode(std::string_view text);  // "0750" or "750"
std::optional<uint64_t> parse_size(std::string_view text);  // "50G", "512M", "1073741824"
std::string format_size(uint64_t bytes);

}  // namespace trustnet
