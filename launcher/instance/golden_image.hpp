#pragma once
// The golden image an instance runs, pinned at `launch init`: its SHA-256 is recorded in
// STATE/NAME/golden.json and checked again before every start, so that an image replaced or
// damaged since init is refused instead of booted.
#include <filesystem>
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
RecordOutcome record_golden_image(const std::filesystem::path& state_dir, const InstanceConfig& instance);

// Throws a one-line Error when the image is missing, was never recorded, or differs from the record.
GoldenRecord verify_golden_image(const std::filesystem::path& state_dir, const InstanceConfig& instance);

}  // namespace trustnet::launcher
