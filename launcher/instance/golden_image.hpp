#pragma once
// The golden image an instance runs, pinned at `launch init`: its SHA-256 is recorded in
// STATE/NAME/golden.json and checked again before every start, so that an image replaced or
// damaged since init is refused instead of booted.
#include <filesystem>
#include <optional>
#include <string>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

struct GoldenRecord {
  std::filesystem::path image;
  std::string sha256;
  uint64_t size = 0;
};

std::filesystem::path golden_record_file(const std::filesystem::path& state_dir, const std::string& name);

// Hashes the instance's image and records it; returns the record and whether it changed.
struct RecordOutcome {
  GoldenRecord record;
  bool changed = false;  // a different digest was recorded before
};
// With a trusted release key (the configuration's trusted_key), the image must also be the image
// of a release folder whose signature, SHA256SUMS and digests verify with that key.
RecordOutcome record_golden_image(const std::filesystem::path& state_dir, const InstanceConfig& instance,
                                  const std::optional<std::filesystem::path>& trusted_key);

// The image the configuration names for the instance, checked (present, self-contained, and with
// a trusted key a verified release) and hashed; nothing is recorded.
GoldenRecord inspect_golden_image(const InstanceConfig& instance,
                                  const std::optional<std::filesystem::path>& trusted_key);
// What `launch init` (or the last upgrade) recorded for the instance, if anything.
std::optional<GoldenRecord> read_golden_record(const std::filesystem::path& state_dir, const std::string& name);
void write_golden_record(const std::filesystem::path& state_dir, const std::string& name, const GoldenRecord& record);

// Throws a one-line Error when the image is missing, was never recorded, differs from the
// record, or (with a trusted key) fails release verification.
GoldenRecord verify_golden_image(const std::filesystem::path& state_dir, const InstanceConfig& instance,
                                 const std::optional<std::filesystem::path>& trusted_key);

}  // namespace trustnet::launcher
