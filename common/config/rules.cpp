#include "common/config/rules.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <string>

namespace trustnet {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Problem check_dns_label(std::string_view label, std::string_view what) {
  if (label.empty() || label.size() > 63) return fmt::format("{} label '{}' must have 1 to 63 characters", what, label);
  for (char c : label)
    if (!is_lower_alnum(c) && c != '-') return fmt::format("{} '{}' may hold only a-z, 0-9 and '-'", what, label);
  if (label.front() == '-' || label.back() == '-')
    return fmt::format("{} '{}' must not start or end with '-'", what, label);
  return std::nullopt;
}

}  // namespace

// Names.

Problem check_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return fmt::format("user name '{}' must have 1 to 32 characters", name);
  if (!(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return fmt::format("user name '{}' must start with a-z or '_'", name);
  for (char c : name)
    if (!is_lower_alnum(c) && c != '_' && c != '-')
      return fmt::format("user name '{}' may hold only a-z, 0-9, '_' and '-'", name);
  return std::nullopt;
}

Problem check_hostname(std::string_view name) { return check_dns_label(name, "hostname"); }

Problem check_domain(std::string_view domain) {
  if (domain.empty()) return "domain must not be empty";
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    if (auto problem = check_dns_label(domain.substr(start, dot - start), "domain")) return problem;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

Problem check_chain_id(std::string_view chain_id) {
  static const std::regex pattern("[A-Za-z0-9][A-Za-z0-9._-]{0,49}");
  if (!std::regex_match(chain_id.begin(), chain_id.end(), pattern))
    return fmt::format("chain_id '{}' must be 1 to 50 letters, digits, '.', '_' or '-'", printable(chain_id));
  return std::nullopt;
}

Problem check_instance_name(std::string_view name) {
  static const std::regex pattern("[a-z0-9][a-z0-9-]{0,62}");
  if (!std::regex_match(name.begin(), name.end(), pattern))
    return fmt::format("instance name '{}' must be lower-case letters, digits and '-'", printable(name));
  // Each instance has the state folder's subfolder of its name, beside the launcher's own.
  for (std::string_view kept : {"network", "pinned", "images", "cache"})
    if (name == kept)
      return fmt::format(
          "instance name '{}' is taken: the state folder keeps network/, pinned/, images/ and cache/ beside "
          "the instances' folders",
          kept);
  return std::nullopt;
}

Problem check_service_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return fmt::format("service name '{}' must have 1 to 64 characters", name);
  for (char c : name)
    if (!is_lower_alnum(c) && c != '-' && c != '_' && c != '.')
      return fmt::format("service name '{}' may hold only a-z, 0-9, '-', '_' and '.'", name);
  return std::nullopt;
}

Problem check_interface_name(std::string_view name) {
  // As the kernel's dev_valid_name(): 1 to 15 bytes, not . or .., no '/', ':' or white space.
  if (name.empty() || name.size() > 15 || name == "." || name == "..")
    return fmt::format("interface name '{}' must have 1 to 15 characters and not be . or ..", printable(name));
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || std::isspace(byte) || byte < 0x20 || byte == 0x7f)
      return fmt::format(
          "interface name '{}' holds a character Linux refuses ('/', ':', white space or a control character)",
          printable(name));
  }
  return std::nullopt;
}

Problem check_bridge_name(std::string_view name) {
  // Stricter than Linux: the name is also a file name and a word in QEMU's and libvirt's arguments.
  static const std::regex pattern("[A-Za-z0-9_.-]{1,15}");
  if (!std::regex_match(name.begin(), name.end(), pattern) || name == "." || name == "..")
    return fmt::format("bridge name '{}' must be 1 to 15 letters, digits, '_', '.' or '-'", printable(name));
  return std::nullopt;
}

Problem check_moniker(std::string_view moniker) {
  if (moniker.empty() || moniker.size() > 64 ||
      moniker.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._- ") !=
          std::string_view::npos)
    return fmt::format("moniker '{}' must be 1 to 64 letters, digits, spaces, '.', '_' or '-'", printable(moniker));
  return std::nullopt;
}

// Addresses and ports.

Problem check_ipv6_ula(std::string_view address) {
  std::string text(address);
  if (text.find('/') != std::string::npos)
    return fmt::format("'{}': give the address without a prefix; the prefix has its own key", text);
  const auto bytes = parse_ipv6(text);
  if (!bytes) return fmt::format("'{}' is not a valid IPv6 address", text);
  if (((*bytes)[0] & 0xfe) != 0xfc) return fmt::format("'{}' is not a unique local IPv6 address (fc00::/7)", text);
  return std::nullopt;
}

std::optional<Ipv6Address> parse_ipv6(std::string_view address) {
  Ipv6Address bytes{};
  if (inet_pton(AF_INET6, std::string(address).c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

bool same_prefix(const Ipv6Address& a, const Ipv6Address& b, int prefix) {
  for (int bit = 0; bit < prefix && bit < 128; ++bit) {
    const int mask = 0x80 >> (bit % 8);
    if ((a[static_cast<size_t>(bit / 8)] & mask) != (b[static_cast<size_t>(bit / 8)] & mask)) return false;
  }
  return true;
}

std::optional<std::string> DistinctAddresses::claim(const Ipv6Address& address, const std::string& holder) {
  const auto [it, added] = holders_.emplace(address, holder);
  if (added) return std::nullopt;
  return it->second;
}

Parsed<int> parse_ipv6_prefix(std::string_view text) {
  const auto bits = parse_bounded_uint(text, 0, 999);
  if (!bits) return {0, fmt::format("IPv6 prefix '{}' must be a number of bits such as 32", printable(text))};
  if (*bits < 8 || *bits > 128) return {0, fmt::format("IPv6 prefix length {} is out of range (8 to 128)", *bits)};
  return {static_cast<int>(*bits), std::nullopt};
}

std::optional<uint16_t> parse_port(std::string_view text) {
  const auto value = parse_bounded_uint(text, 1, 65535);
  if (!value) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

Problem check_port(std::string_view text, std::string_view what) {
  if (!parse_port(text)) return fmt::format("{} '{}' must be a port number from 1 to 65535", what, printable(text));
  return std::nullopt;
}

Problem check_loopback_listen(std::string_view text, std::string_view what) {
  static const std::regex loopback(R"((127\.0\.0\.1|\[::1\]):([1-9][0-9]{0,4}))");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(text.begin(), text.end(), match, loopback) || !parse_port(match[2].str()))
    return fmt::format("{} '{}' must be a loopback address and port, such as 127.0.0.1:5000", what, printable(text));
  return std::nullopt;
}

Problem check_mac_address(std::string_view mac) {
  static const std::regex pattern("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
  if (!std::regex_match(mac.begin(), mac.end(), pattern))
    return fmt::format("mac '{}' must be six lower-case hex bytes, such as 52:54:00:12:34:56", printable(mac));
  if (std::stoi(std::string(mac.substr(0, 2)), nullptr, 16) & 1)
    return fmt::format("mac '{}' is a multicast address", mac);
  return std::nullopt;
}

Problem check_acme_email(std::string_view email) {
  static const std::regex pattern(R"([^@\s"'{}]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
  if (!std::regex_match(email.begin(), email.end(), pattern))
    return fmt::format("acme email '{}' must be an e-mail address, the contact the CA is given", printable(email));
  return std::nullopt;
}

Problem check_public_name(std::string_view name) {
  if (name.find(':') != std::string_view::npos)
    return fmt::format("'{}' is an address: a public CA certifies only names", printable(name));
  if (auto problem = check_domain(name)) return fmt::format("'{}': {}", printable(name), *problem);
  const size_t last_dot = name.rfind('.');
  if (last_dot == std::string_view::npos)
    return fmt::format("'{}' is a single label: a public CA certifies only fully qualified names", name);
  const std::string_view top = name.substr(last_dot + 1);  // lower-case: check_domain holds to it
  if (std::all_of(top.begin(), top.end(), [](unsigned char c) { return std::isdigit(c); }))
    return fmt::format("'{}' is an address: a public CA certifies only names", name);
  for (std::string_view suffix : {".local", ".internal", ".lan", ".home.arpa", ".localhost", ".localdomain", ".invalid",
                                  ".intranet", ".corp", ".home", ".private"})
    if (name.ends_with(suffix))
      return fmt::format("'{}' is a {} name, private by definition: a public CA cannot certify it", name, suffix);
  return std::nullopt;
}

Problem check_acme_directory(std::string_view url) {
  static const std::regex pattern(R"(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+-]*)?)");
  if (!std::regex_match(url.begin(), url.end(), pattern))
    return fmt::format("ACME directory '{}' must be letsencrypt, letsencrypt-staging or an https:// URL",
                       printable(url));
  return std::nullopt;
}

// Paths.

Problem check_image_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return fmt::format("path '{}' must be absolute", printable(path));
  for (char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return fmt::format("path '{}' holds a control character", printable(path));
    // Paths land in shell-read files (init scripts, conf.d): nothing a shell would act on.
    if (c == '$' || c == '`' || c == '"' || c == '\'' || c == '\\')
      return fmt::format("path '{}' holds {}, which a shell would act on", path, c);
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") return fmt::format("path '{}' escapes the image with '..'", path);
    if (part == "." || (part.empty() && slash != std::string_view::npos))
      return fmt::format("path '{}' is not in normal form", path);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (path.size() > 1 && path.back() == '/') return fmt::format("path '{}' must not end with '/'", path);
  return std::nullopt;
}

Problem check_state_folder(std::string_view path) {
  if (auto problem = check_image_path(path)) return problem;
  for (char c : path)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '_' && c != '-')
      return fmt::format("state folder '{}' may hold letters, digits and . _ - / only", printable(path));
  const auto under = [&](std::string_view folder) {
    return path.size() > folder.size() && path.starts_with(folder) && path[folder.size()] == '/';
  };
  const auto is_or_under = [&](std::string_view folder) { return path == folder || under(folder); };
  if (is_or_under("/var/lib/trustnet") || is_or_under("/var/lib/trustnet-state"))
    return fmt::format("state folder '{}' is the appliance's own bookkeeping, which stays with the system disk", path);
  if (!under("/opt") && !under("/srv") && !under("/home") && !under("/var/lib"))
    return fmt::format("state folder '{}' must be a folder of the appliance's data under /opt, /srv, /home or /var/lib",
                       path);
  return std::nullopt;
}

Problem check_passwd_field(std::string_view text, std::string_view what) {
  // A field of /etc/passwd: printable UTF-8 on one line, no ':' (the field separator).
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return fmt::format("{} '{}' holds a control character", what, printable(text));
    if (text[i] == ':') return fmt::format("{} '{}' holds ':', the separator of /etc/passwd", what, text);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return fmt::format("{} is not valid UTF-8 (byte {})", what, i + 1);
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2)
        return fmt::format("{} is not valid UTF-8 (byte {})", what, i + k + 1);
    i += length;
  }
  return std::nullopt;
}

Problem check_archive_member(std::string_view member) {
  if (member.empty() || member.front() == '/' || check_image_path("/" + std::string(member)))
    return fmt::format("archive member '{}' must be a relative path inside the archive", printable(member));
  return std::nullopt;
}

Problem check_program_name(std::string_view name) {
  const bool plain =
      !name.empty() && name.size() <= 64 && name.front() != '.' && name.front() != '-' &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-';
      });
  if (!plain)
    return fmt::format("program '{}' must be a file name of letters, digits and ._+- (looked for on the PATH)",
                       printable(name));
  return std::nullopt;
}

Problem check_run_group(unsigned gid, std::string_view group_name) {
  if (gid == 0 || group_name == "root" || group_name == "disk")
    return fmt::format("the primary group {} (gid {}) reaches root's files or the host's disks", printable(group_name),
                       gid);
  return std::nullopt;
}

// Digests, keys, and what services are given.

Problem check_input_url(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://") && !url.starts_with("file:///"))
    return fmt::format("url '{}' must start with https://, http:// or file:///", printable(url));
  return std::nullopt;
}

Problem check_sha256(std::string_view digest) {
  if (digest.size() != 64 || !std::all_of(digest.begin(), digest.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      }))
    return fmt::format("sha256 '{}' must be 64 hexadecimal digits", digest);
  return std::nullopt;
}

Parsed<std::string> parse_sha256(std::string_view text) {
  if (auto problem = check_sha256(text)) return {"", problem};
  std::string digest(text);
  std::transform(digest.begin(), digest.end(), digest.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return {digest, std::nullopt};
}

Problem check_ssh_public_key(std::string_view line) {
  if (line.find("PRIVATE KEY") != std::string_view::npos)
    return std::string("this is a private key; only public keys may go into an image");
  static constexpr std::array<std::string_view, 8> types = {"ssh-ed25519",
                                                            "ssh-rsa",
                                                            "ecdsa-sha2-nistp256",
                                                            "ecdsa-sha2-nistp384",
                                                            "ecdsa-sha2-nistp521",
                                                            "sk-ssh-ed25519@openssh.com",
                                                            "sk-ecdsa-sha2-nistp256@openssh.com",
                                                            "ssh-dss"};
  size_t space = line.find(' ');
  std::string_view type = line.substr(0, space);
  if (std::find(types.begin(), types.end(), type) == types.end())
    // Never quoted: the file may be a private key or another secret given by mistake.
    return std::string("this line is not an SSH public key (it must start with a key type such as ssh-ed25519)");
  if (type == "ssh-dss") return std::string("ssh-dss keys are refused by OpenSSH; use ssh-ed25519");
  if (space == std::string_view::npos) return std::string("the key has no base64 body");
  std::string_view rest = line.substr(space + 1);
  std::string_view body = rest.substr(0, rest.find(' '));
  if (body.size() < 16 || !std::all_of(body.begin(), body.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
      }))
    return std::string("the key body is not base64");
  return std::nullopt;
}

Problem check_service_argument(std::string_view arg) {
  for (char c : arg)
    if (c == '\'' || c == '"' || c == '`' || c == '$' || c == '\\' || c == '\n' || c == '\0')
      return fmt::format("argument '{}' holds a shell metacharacter ({}), which OpenRC would expand", arg,
                         c == '\n' ? std::string("newline") : std::string(1, c));
  return std::nullopt;
}

Problem check_service_description(std::string_view description) {
  if (description.find_first_of("\"\\$`\n") != std::string_view::npos)
    return std::string("description must not contain quotes, '\\', '$', '`' or newlines");
  return std::nullopt;
}

Problem check_environment_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
          std::string_view::npos)
    return fmt::format("'{}' is not a valid environment variable name", printable(name));
  return std::nullopt;
}

Problem check_runlevel(std::string_view runlevel) {
  for (std::string_view known : {"sysinit", "boot", "default", "nonetwork", "shutdown"})
    if (runlevel == known) return std::nullopt;
  return fmt::format("runlevel '{}' must be one of sysinit, boot, default, nonetwork, shutdown", printable(runlevel));
}

Problem check_proxy_app(std::string_view app) {
  if (app != "kvstore" && app != "persistent_kvstore" && app != "noop" && !app.starts_with("tcp://") &&
      !app.starts_with("unix://"))
    return fmt::format("proxy_app '{}' must be kvstore, persistent_kvstore, noop, or a tcp:// or unix:// address",
                       printable(app));
  return std::nullopt;
}

Problem check_duration(std::string_view text, std::string_view what) {
  static const std::regex duration("[1-9][0-9]*(ms|s)");
  if (!std::regex_match(text.begin(), text.end(), duration))
    return fmt::format("{} '{}' must be a duration such as 500ms or 1s", what, printable(text));
  return std::nullopt;
}

}  // namespace trustnet
