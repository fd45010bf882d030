#pragma once
// What the configuration says about one network: the chain, the domain and each instance's
// name, role, host name and ULA address. `launch init` makes the identities from it.
#include <string>
#include <vector>

namespace trustnet::launcher {

enum class Role { node, registry };

struct InstanceDefinition {
  std::string name;  // also the folder in the state folder
  Role role = Role::node;
  std::string hostname;
  std::string address;  // ULA, no prefix
  int prefix = 32;
};

struct NetworkDefinition {
  std::string chain_id;
  std::string domain = "trustnet.local";
  std::vector<InstanceDefinition> instances;
};

}  // namespace trustnet::launcher
