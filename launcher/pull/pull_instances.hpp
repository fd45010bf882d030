#pragma once
// The releases of the instances whose image is remote: pulled, checked against the instance's
// role, and adopted: STATE/NAME/release holds a verified copy of the release's files, and
// STATE/NAME/pulled.json records what was verified (source, digest, build time, key). A source
// that now resolves to another digest than the record's is an update (a tag that moved). The
// instance's disk and golden record are not touched: a running instance keeps its release until
// the operator runs `launch init` and restarts it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/pull/release_pull.hpp"

namespace trustnet::launcher {

struct PullRecord {
  std::string source, digest, manifest_sha256, appliance, build_time, image_sha256, signing_key, pulled_at;
  std::filesystem::path folder;
};

// The record as pulled.json holds it; `launch pull --json` and `launch status --json` show it too.
nlohmann::json pull_record_json(const PullRecord& record);
std::optional<PullRecord> read_pull_record(const std::filesystem::path& state_dir, const std::string& name);

struct InstancePull {
  std::string name;
  PullRecord record;
  std::optional<PullRecord> previous;
  uint64_t bytes_downloaded = 0;
  bool updated() const { return previous && previous->digest != record.digest; }
};

// `only_missing`: only instances with no release yet (what `launch init` and `launch all` need).
// A release built before the one an instance has is refused unless `allow_downgrade`: a tag moved
// back to an older, validly signed release would otherwise roll the instance back.
std::vector<InstancePull> pull_instances(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                         bool only_missing, TransferDisplay& display, bool allow_downgrade = false);

}  // namespace trustnet::launcher
