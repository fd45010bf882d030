#include "launcher/health/instance_health.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ctime>
#include <fstream>

#include "common/util/atomic_file.hpp"

namespace trustnet::launcher {

void fill_from_monitor(HealthRow& row, const HealthMonitor& monitor) {
  row.answered = monitor.answering();
  row.lost = monitor.lost();
  row.connections.clear();
  for (ProbeKind kind : kProbeKinds)
    if (probe_kind(kind).connects) row.connections[monitor.name(kind)] = monitor.counts(kind).connections;
  row.chain = monitor.node_status();
  row.stalled = monitor.stalled();
  row.certificate = monitor.certificate();
  row.certificate_warn_days = monitor.certificate_warn_days();
  if (row.phase == Phase::up && row.certificate &&
      certificate_days_left(*row.certificate, std::time(nullptr)) < row.certificate_warn_days)
    row.phase = Phase::degraded;
}

int certificate_days_left(const CertificateFacts& certificate, int64_t now) {
  const int64_t left = certificate.not_after - now;
  return static_cast<int>(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
}

std::string certificate_text(const HealthRow& row, int64_t now) {
  if (!row.certificate) return "-";
  const int days = certificate_days_left(*row.certificate, now);
  std::string text = days >= 0 ? fmt::format("{}, {} day{} left", row.certificate->issuer, days, days == 1 ? "" : "s")
                               : fmt::format("{}, expired", row.certificate->issuer);
  if (days < row.certificate_warn_days) text += ", renewal failing";
  return text;
}

void save_health_record(const std::filesystem::path& file, pid_t pid, const HealthTracker& tracker) {
  nlohmann::json answered = nlohmann::json::array();
  for (ProbeKind kind : kProbeKinds)
    if (tracker.ever_answered(kind)) answered.push_back(probe_kind(kind).key);
  write_file_atomically(file, nlohmann::json{{"pid", pid}, {"answered", answered}}.dump() + "\n",
                        std::filesystem::perms(0600));
}

void restore_health_record(const std::filesystem::path& file, pid_t pid, HealthTracker& tracker) {
  std::ifstream in(file);
  if (!in) return;
  // A record that cannot be read tells nothing: the probes start from scratch.
  const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
  if (!record.is_object() || !record.contains("pid") || record["pid"] != pid || !record["answered"].is_array()) return;
  for (ProbeKind kind : kProbeKinds)
    for (const auto& name : record["answered"])
      if (name == probe_kind(kind).key) tracker.remember_answered(kind);
}

std::string answered_text(const HealthRow& row) {
  std::string text = fmt::format("{}", fmt::join(row.answered, ","));
  if (!row.lost.empty()) text += fmt::format("{}lost {}", text.empty() ? "" : "; ", fmt::join(row.lost, ","));
  return text;
}

std::string chain_text(const HealthRow& row) {
  if (!row.chain) return "-";
  std::string text = fmt::format("height {}", row.chain->height);
  if (row.chain->catching_up) text += ", catching up";
  if (row.chain->peers) text += fmt::format(", {} peer{}", *row.chain->peers, *row.chain->peers == 1 ? "" : "s");
  if (row.stalled) text += ", stalled";
  return text;
}

std::string format_uptime(double seconds) {
  const long s = static_cast<long>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string restarts_text(const HealthRow& row) {
  if (!row.supervision) return "-";
  const SupervisionView& s = *row.supervision;
  if (s.last_failure.empty()) return std::to_string(s.restarts);
  return fmt::format("{} (last: {}, {})", s.restarts, s.last_failure, utc_time(s.last_failure_at));
}

std::string utc_time(int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string render_status_table(const std::vector<HealthRow>& rows) {
  // The CHAIN column only when a node told its chain.
  const bool chains = std::any_of(rows.begin(), rows.end(), [](const HealthRow& row) { return row.chain.has_value(); });
  // The IMAGE column (the system disk's golden image, its digest's first 12 digits) when one is known.
  const bool images = std::any_of(rows.begin(), rows.end(), [](const HealthRow& row) { return !row.image.empty(); });
  // The RESTARTS column when an instance is supervised: how often, and the last reason.
  const bool supervised =
      std::any_of(rows.begin(), rows.end(), [](const HealthRow& row) { return row.supervision.has_value(); });
  std::vector<std::vector<std::string>> cells{{"NAME", "ADDRESS", "PID", "STATE", "UPTIME", "ANSWERED"}};
  if (chains) cells[0].push_back("CHAIN");
  if (images) cells[0].push_back("IMAGE");
  if (supervised) cells[0].push_back("RESTARTS");
  // The CERTIFICATE column when a registry serves an ACME certificate.
  const bool certificates =
      std::any_of(rows.begin(), rows.end(), [](const HealthRow& row) { return row.certificate.has_value(); });
  if (certificates) cells[0].push_back("CERTIFICATE");
  const int64_t now = std::time(nullptr);
  for (const auto& row : rows) {
    const bool running = row.pid > 0;
    const std::string answered = answered_text(row);
    cells.push_back({row.name, row.address, running ? std::to_string(row.pid) : "-", phase_name(row.phase),
                     running ? format_uptime(row.uptime_seconds) : "-", answered.empty() ? "-" : answered});
    if (chains) cells.back().push_back(chain_text(row));
    if (images) cells.back().push_back(row.image.empty() ? "-" : row.image_sha256.substr(0, 12));
    if (supervised) cells.back().push_back(restarts_text(row));
    if (certificates) cells.back().push_back(certificate_text(row, now));
  }
  std::vector<size_t> widths(cells[0].size(), 0);
  for (const auto& line : cells)
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  std::string text;
  for (const auto& line : cells) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i)
      out += i + 1 < line.size() ? fmt::format("{:<{}}  ", line[i], widths[i]) : line[i];
    text += out + "\n";
  }
  return text;
}

nlohmann::json status_json(const std::vector<HealthRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json item = {
        {"name", row.name},         {"address", row.address}, {"state", phase_name(row.phase)},
        {"answered", row.answered}, {"lost", row.lost},       {"probe_connections", row.connections}};
    item["pid"] = row.pid > 0 ? nlohmann::json(row.pid) : nlohmann::json(nullptr);
    item["uptime_seconds"] =
        row.pid > 0 ? nlohmann::json(static_cast<long>(row.uptime_seconds)) : nlohmann::json(nullptr);
    if (row.chain)
      item["chain"] = {{"height", row.chain->height},
                       {"catching_up", row.chain->catching_up},
                       {"peers", row.chain->peers ? nlohmann::json(*row.chain->peers) : nlohmann::json(nullptr)},
                       {"stalled", row.stalled}};
    item["image"] =
        row.image.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"path", row.image}, {"sha256", row.image_sha256}};
    if (row.certificate)
      item["certificate"] = {{"issuer", row.certificate->issuer},
                             {"not_after", utc_time(row.certificate->not_after)},
                             {"days_left", certificate_days_left(*row.certificate, std::time(nullptr))},
                             {"warn_days", row.certificate_warn_days}};
    if (row.supervision) {
      const SupervisionView& s = *row.supervision;
      auto time_or_null = [](int64_t t) { return t > 0 ? nlohmann::json(utc_time(t)) : nlohmann::json(nullptr); };
      item["supervision"] = {
          {"restarts", s.restarts},
          {"last_failure", s.last_failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_failure)},
          {"last_failure_at", time_or_null(s.last_failure_at)},
          {"up_since", time_or_null(s.up_since)}};
    }
    out.push_back(item);
  }
  return out;
}

}  // namespace trustnet::launcher
