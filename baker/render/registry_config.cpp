#include "baker/render/registry_config.hpp"

#include <yaml-cpp/yaml.h>

namespace trustnet::baker {

std::string render_registry_config(const RegistrySpec& r) {
  YAML::Emitter out;
  out << YAML::Comment("Written by bake from the registry recipe; edit the recipe, not this file.");
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << "0.1";
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap << YAML::Key << "level" << YAML::Value << "info"
      << YAML::Key << "fields" << YAML::Value << YAML::BeginMap << YAML::Key << "service" << YAML::Value << "registry"
      << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "filesystem" << YAML::Value << YAML::BeginMap << YAML::Key << "rootdirectory" << YAML::Value
      << r.storage << YAML::EndMap;
  out << YAML::Key << "delete" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value << true
      << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "addr" << YAML::Value << r.listen;
  out << YAML::Key << "debug" << YAML::Value << YAML::BeginMap << YAML::Key << "addr" << YAML::Value << r.debug_listen
      << YAML::EndMap;
  out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap << YAML::Key << "X-Content-Type-Options" << YAML::Value
      << YAML::Flow << YAML::BeginSeq << "nosniff" << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap << YAML::Key << "htpasswd" << YAML::Value
      << YAML::BeginMap << YAML::Key << "realm" << YAML::Value << "trustnet-registry" << YAML::Key << "path"
      << YAML::Value << r.htpasswd << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "health" << YAML::Value << YAML::BeginMap << YAML::Key << "storagedriver" << YAML::Value
      << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value << true << YAML::Key << "interval" << YAML::Value
      << "10s" << YAML::Key << "threshold" << YAML::Value << 3 << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace trustnet::baker
