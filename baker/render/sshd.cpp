#include "baker/render/sshd.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "common/util/text_lines.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace {

const std::string include_line = fmt::format("Include {}/*.conf", sshd_dropin_dir);

bool is_directive(const std::string& line) {
  auto first = line.find_first_not_of(" \t");
  return first != std::string::npos && line[first] != '#';
}

}  // namespace

std::string render_sshd_policy(const SshPolicy& policy) {
  const std::string users = fmt::format("{}", fmt::join(policy.allow_users, " "));
  return fmt::format(
      "# TrustNet SSH policy, written by bake. Included first, so these values win.\n"
      "PermitRootLogin {}\n"
      "PasswordAuthentication {}\n"
      "KbdInteractiveAuthentication no\n"
      "PermitEmptyPasswords no\n"
      "PubkeyAuthentication yes\n"
      "AuthenticationMethods publickey\n"
      "AllowUsers {}\n",
      policy.permit_root_login ? "prohibit-password" : "no", policy.password_authentication ? "yes" : "no", users);
}

std::string include_sshd_dropins(const std::optional<std::string>& main_config) {
  if (!main_config)
    return fmt::format("# Written by bake: the base image had no sshd_config.\n{}\nSubsystem sftp internal-sftp\n",
                       include_line);
  std::string text = *main_config;
  std::string out;
  bool included_first = false, seen_directive = false;
  for (const std::string_view view : split_lines(text)) {
    const std::string line(view);
    if (is_directive(line) && !seen_directive) {
      seen_directive = true;
      std::string trimmed = line.substr(line.find_first_not_of(" \t"));
      included_first = ascii_lower(trimmed) == ascii_lower(include_line);
      if (!included_first) out += include_line + "\n";
    } else if (is_directive(line) &&
               ascii_lower(line.substr(line.find_first_not_of(" \t"))) == ascii_lower(include_line)) {
      continue;  // included once, at the top
    }
    out += line + "\n";
  }
  if (!seen_directive) out += include_line + "\n";
  return out;
}

}  // namespace trustnet::baker
