#pragma once
// `bake publish`: a release folder from a golden image, for shipping to target hosts:
//   NAME.qcow2               the image with compressed clusters (zstd where qemu-img has it, else zlib)
//   NAME.mtree               its content listing
//   NAME.manifest.json       what went in and what came out (see release_manifest below)
//   NAME.manifest.json.minisig   its signature, in minisign's format (`minisign -V` checks it)
//   SHA256SUMS               sha256sum lines for the three files above
// The folder is written beside its final place and renamed into it whole.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/release/signing_key.hpp"

namespace trustnet::baker {

struct PublishOptions {
  std::filesystem::path out_dir = "out";          // where bake left NAME.qcow2, .mtree, .report.json
  std::filesystem::path release_dir = "release";  // gets NAME/
  std::filesystem::path signing_key;              // minisign secret key (bake keygen, minisign -G) or PEM Ed25519
  std::optional<int64_t> source_date_epoch;       // the build time, when reproducible builds set it
};

struct PublishOutcome {
  std::string name, compression;
  std::filesystem::path folder, image;
  uint64_t golden_size = 0, image_size = 0;
  double seconds = 0;
};

// zstd when this qemu-img can write zstd-compressed qcow2 clusters, zlib otherwise.
std::string choose_compression();

// Pure: the manifest of a release from the bake report and the published files' facts.
struct ReleaseFacts {
  std::string image_file, image_sha256, compression;
  uint64_t image_size = 0, virtual_size = 0;
  std::string listing_file, listing_sha256;
  size_t listing_entries = 0;
  std::string build_time;   // RFC 3339
  std::string signing_key;  // fingerprint of the public key
};
nlohmann::json release_manifest(const nlohmann::json& report, const ReleaseFacts& facts);

PublishOutcome publish_release(const std::string& name, const PublishOptions& options, const SigningKey& key);

// SOURCE_DATE_EPOCH from the environment: nothing when unset, an Error when malformed.
std::optional<int64_t> source_date_epoch_from_environment();

}  // namespace trustnet::baker
