#include "launcher/health/instance_health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "launcher/health/health_probe.hpp"

namespace trustnet::launcher {

Answers probe_instance(const InstanceConfig& instance, bool running, const std::filesystem::path& ca_file,
                       std::chrono::milliseconds timeout, std::vector<std::string>& answered) {
  Answers answers;
  answered.clear();
  answers.process = running;
  if (!running) return answers;
  const std::string& address = instance.identity.address;
  // The three probes run side by side: a round costs the slowest one, not their sum.
  auto ping = std::async(std::launch::async, [&] { return ping6(address, timeout); });
  auto ssh = std::async(std::launch::async, [&] { return ssh_banner(address, 22, timeout).has_value(); });
  auto service = std::async(std::launch::async, [&] {
    return std::filesystem::exists(ca_file) && https_ok(service_url(instance.identity.role, address), ca_file, timeout);
  });
  answers.ping = ping.get();
  answers.ssh = ssh.get();
  answers.service = service.get();
  if (answers.ping) answered.push_back("ping");
  if (answers.ssh) answered.push_back("ssh");
  if (answers.service) answered.push_back(instance.identity.role == Role::node ? "rpc" : "health");
  return answers;
}

std::string answered_text(const HealthRow& row) {
  std::string text;
  for (const auto& what : row.answered) text += (text.empty() ? "" : ",") + what;
  return text;
}

std::string format_uptime(double seconds) {
  const long s = static_cast<long>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string render_status_table(const std::vector<HealthRow>& rows) {
  std::vector<std::vector<std::string>> cells{{"NAME", "ADDRESS", "PID", "STATE", "UPTIME", "ANSWERED"}};
  for (const auto& row : rows) {
    const bool running = row.pid > 0;
    const std::string answered = answered_text(row);
    cells.push_back({row.name, row.address, running ? std::to_string(row.pid) : "-", phase_name(row.phase),
                     running ? format_uptime(row.uptime_seconds) : "-", answered.empty() ? "-" : answered});
  }
  std::vector<size_t> widths(cells[0].size(), 0);
  for (const auto& line : cells)
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  std::string text;
  for (const auto& line : cells) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) out += i + 1 < line.size() ? fmt::format("{:<{}}  ", line[i], widths[i]) : line[i];
    text += out + "\n";
  }
  return text;
}

nlohmann::json status_json(const std::vector<HealthRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json item = {{"name", row.name}, {"address", row.address}, {"state", phase_name(row.phase)}, {"answered", row.answered}};
    item["pid"] = row.pid > 0 ? nlohmann::json(row.pid) : nlohmann::json(nullptr);
    item["uptime_seconds"] = row.pid > 0 ? nlohmann::json(static_cast<long>(row.uptime_seconds)) : nlohmann::json(nullptr);
    out.push_back(item);
  }
  return out;
}

}  // namespace trustnet::launcher
