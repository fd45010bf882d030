#pragma once
// The SSH policy: a drop-in with TrustNet's settings, included before anything else in
// sshd_config, because sshd keeps the first value it reads for each keyword.
#include <optional>
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

inline constexpr const char* sshd_config_path = "/etc/ssh/sshd_config";
inline constexpr const char* sshd_dropin_dir = "/etc/ssh/sshd_config.d";
inline constexpr const char* sshd_policy_path = "/etc/ssh/sshd_config.d/00-trustnet.conf";

std::string render_sshd_policy(const SshPolicy& policy);
// The main configuration with the drop-in folder included as its first directive. Without a
// configuration in the base, a minimal one that includes the drop-ins.
std::string include_sshd_dropins(const std::optional<std::string>& main_config);

}  // namespace trustnet::baker
