#pragma once
// A signed release folder as `bake publish` writes it, made without a bake so that distribution
// tests stay fast: a qcow2 image holding `image_bytes` of incompressible data, a listing, the
// manifest, its Ed25519 signature and SHA256SUMS. verify_release accepts it with `public_key`.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/release/signing_key.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "random_bytes.hpp"
#include "temp_dir.hpp"

namespace trustnet::test {

struct TestRelease {
  std::filesystem::path folder, key, public_key;
};

inline void make_signing_key(const std::filesystem::path& key) {
  if (!std::filesystem::exists(key)) generate_signing_key(key, key.string() + ".pub");
}

// `seed` varies the image, so that two releases differ.
inline TestRelease make_test_release(const std::filesystem::path& release_dir, const std::string& name,
                                     const std::filesystem::path& key, size_t image_bytes = 3 << 20, uint64_t seed = 1,
                                     const std::string& build_time = "2026-11-27T00:00:00Z") {
  namespace fs = std::filesystem;
  make_signing_key(key);
  const fs::path folder = release_dir / name;
  fs::create_directories(folder);
  const fs::path raw = release_dir / (name + ".raw");
  { std::ofstream(raw, std::ios::binary) << random_bytes(image_bytes, seed); }
  run_checked(
      {"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.string(), (folder / (name + ".qcow2")).string()});
  fs::remove(raw);
  const std::string listing = "#mtree\n./etc type=dir mode=0755 uid=0 gid=0\n";
  std::ofstream(folder / (name + ".mtree"), std::ios::binary) << listing;
  const std::string image_sha256 = sha256_file(folder / (name + ".qcow2"));
  const nlohmann::json manifest = {
      {"format", "trustnet-release/1"},
      {"appliance", name},
      {"image",
       {{"file", name + ".qcow2"},
        {"sha256", image_sha256},
        {"size", fs::file_size(folder / (name + ".qcow2"))},
        {"format", "qcow2"}}},
      {"contents", {{"file", name + ".mtree"}, {"sha256", sha256_hex(listing)}, {"format", "mtree"}}},
      {"build_time", build_time},
      {"signing_key", SigningKey::load(key).fingerprint()},
  };
  const std::string manifest_text = manifest.dump(2) + "\n";
  std::ofstream(folder / (name + ".manifest.json"), std::ios::binary) << manifest_text;
  std::ofstream(folder / (name + ".manifest.json.minisig"), std::ios::binary)
      << SigningKey::load(key).sign(manifest_text, "timestamp:0\tfile:" + name + ".manifest.json\thashed");
  std::ofstream(folder / "SHA256SUMS", std::ios::binary)
      << fmt::format("{}  {}.qcow2\n{}  {}.mtree\n{}  {}.manifest.json\n", image_sha256, name, sha256_hex(listing),
                     name, sha256_hex(manifest_text), name);
  return {folder, key, key.string() + ".pub"};
}

}  // namespace trustnet::test
