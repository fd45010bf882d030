#pragma once
// An instance's health as the operator sees it: one row of the status table, made from what its
// HealthMonitor saw; and the record that carries what answered from `launch all` to `launch status`.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "launcher/health/health_monitor.hpp"

namespace trustnet::launcher {

// What an instance's supervised runs (`launch run`) have been, as the status shows it.
struct SupervisionView {
  int restarts = 0;
  std::string last_failure;     // why the last failed run ended; "" when none since the last clean stop
  int64_t last_failure_at = 0;  // epoch seconds
  int64_t up_since = 0;         // epoch seconds when the current run reached up; 0 when not up
};

struct HealthRow {
  std::string name, address;
  pid_t pid = 0;
  Phase phase = Phase::stopped;
  double uptime_seconds = 0;
  std::vector<std::string> answered;           // "ping", "ssh", and "rpc" (node) or "health" (registry)
  std::vector<std::string> lost;               // answered once, then stopped answering
  std::map<std::string, int> connections;      // TCP connections the probes opened, by probe
  std::optional<NodeStatus> chain;             // a node's height, catching up and peers, as its RPC said
  bool stalled = false;                        // its height has not grown for a minute
  std::string image, image_sha256;             // the golden image its system disk was made from; "" before
  std::optional<SupervisionView> supervision;  // when `launch run` runs it (systemd, supervise-daemon)
  // A registry with an ACME certificate: who issued what it serves, and until when; fewer days
  // left than warn_days makes an up instance degraded (its renewal is failing).
  std::optional<CertificateFacts> certificate;
  int certificate_warn_days = 0;
};

// The row's probe part: what answered, what was lost, the connections opened.
void fill_from_monitor(HealthRow& row, const HealthMonitor& monitor);

// "ping,ssh,rpc" (and "; lost ssh"): what answered, as the table and the live display show it.
std::string answered_text(const HealthRow& row);
// "height 42, 3 peers" (", catching up", ", stalled"): a node's chain; "-" without one.
std::string chain_text(const HealthRow& row);
// Whole days the row's certificate has left at `now` (negative once it lapsed).
int certificate_days_left(const CertificateFacts& certificate, int64_t now);
// "R11, 63 days left" (", renewal failing" below the warning): an ACME certificate; "-" without one.
std::string certificate_text(const HealthRow& row, int64_t now);

// Pure renderings of a set of rows.
std::string render_status_table(const std::vector<HealthRow>& rows);
// "2 (last: QEMU was killed by signal 9 (Killed), 2026-12-07T14:02:11Z)", "0", or "-" unsupervised.
std::string restarts_text(const HealthRow& row);
std::string utc_time(int64_t epoch_seconds);  // "2026-12-07T14:02:11Z"
nlohmann::json status_json(const std::vector<HealthRow>& rows);
std::string format_uptime(double seconds);

// What answered during the life of the QEMU with this pid, kept in the instance's folder so that
// `launch status` knows an instance was up before (and shows `degraded`, not `reachable`).
void save_health_record(const std::filesystem::path& file, pid_t pid, const HealthTracker& tracker);
void restore_health_record(const std::filesystem::path& file, pid_t pid, HealthTracker& tracker);

}  // namespace trustnet::launcher
