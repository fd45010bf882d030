#pragma once
// Checks of single recipe values. Pure functions: each returns the problem, or nothing when the
// value is fine, so the caller can attach the file position.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

using Problem = std::optional<std::string>;

Problem check_ipv6_ula(std::string_view address);
Problem check_ipv6_prefix(int prefix);
Problem check_user_name(std::string_view name);
Problem check_hostname(std::string_view name);
Problem check_domain(std::string_view domain);
// An absolute path inside the image that cannot climb out of it.
using Ipv6Address = std::array<uint8_t, 16>;
// The address's 16 bytes (inet_pton), so that equal addresses compare equal however written.
std::optional<Ipv6Address> parse_ipv6(std::string_view address);
// Whether the first `prefix` bits of a and b are the same.
bool same_prefix(const Ipv6Address& a, const Ipv6Address& b, int prefix);

Problem check_image_path(std::string_view path);
// A network interface name as Linux allows it (1 to 15 bytes; no '/', ':', white space, control characters).
Problem check_interface_name(std::string_view name);
// A field of /etc/passwd (gecos, home, shell): printable UTF-8 without ':'.
Problem check_passwd_field(std::string_view text, std::string_view what);
// `text` with control characters written as \n or \xNN: a message stays one line.
std::string printable(std::string_view text);
Problem check_sha256(std::string_view digest);
Problem check_service_name(std::string_view name);
// An argument that OpenRC passes through the shell unchanged.
Problem check_service_argument(std::string_view arg);
// One authorized_keys line: a public key, never a private one.
Problem check_ssh_public_key(std::string_view line);

std::optional<uint32_t> parse_mode(std::string_view text);  // "0750" or "750"
std::optional<uint64_t> parse_size(std::string_view text);  // "50G", "512M", "1073741824"
std::string format_size(uint64_t bytes);

}  // namespace trustnet
