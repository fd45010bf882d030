#pragma once
// The tap of an instance on the bridge: "tn-" and the name, within the kernel's 15 characters
// (long names: "tn-" and 12 hex digits of the name's SHA-256, so taps of different instances
// stay apart; the configuration refuses two instances that would still share one).
#include <string>

#include "common/util/sha256.hpp"

namespace trustnet::launcher {

inline std::string tap_name(const std::string& instance) {
  const std::string name = "tn-" + instance;
  if (name.size() <= 15) return name;
  return "tn-" + sha256_hex(instance).substr(0, 12);
}

}  // namespace trustnet::launcher
