#pragma once
// An instance's health as the operator sees it: one probe round and one row of the status table.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/instance_runtime.hpp"

namespace trustnet::launcher {

struct HealthRow {
  std::string name, address;
  pid_t pid = 0;
  Phase phase = Phase::stopped;
  double uptime_seconds = 0;
  std::vector<std::string> answered;  // "ping", "ssh", and "rpc" (node) or "health" (registry)
};

// Probes the instance (only when its QEMU runs) and returns the answers with their names.
Answers probe_instance(const InstanceConfig& instance, bool running, const std::filesystem::path& ca_file,
                       std::chrono::milliseconds timeout, std::vector<std::string>& answered);

// "ping,ssh,rpc": what answered, as the table and the live display show it.
std::string answered_text(const HealthRow& row);

// Pure renderings of a set of rows.
std::string render_status_table(const std::vector<HealthRow>& rows);
nlohmann::json status_json(const std::vector<HealthRow>& rows);
std::string format_uptime(double seconds);

}  // namespace trustnet::launcher
