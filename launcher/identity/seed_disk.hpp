#pragma once
// An instance's identity as a seed disk: an ISO 9660 image labelled TRUSTNET (Rock Ridge names,
// written with libarchive) that the first-boot service mounts read-only. Layout:
//   trustnet/hostname    the instance's host name
//   trustnet/address     its ULA address with prefix, e.g. fd10:1234::1/32
//   trustnet/manifest    one "MODE OWNER GROUP PATH" line per file to install
//   files/PATH           the content of each of those files
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trustnet::launcher {

struct SeedFile {
  std::string path;  // absolute, in the guest
  std::string content;
  uint32_t mode = 0644;
  std::string owner = "root", group = "root";
};

struct Seed {
  std::string hostname;
  std::string address;
  std::vector<SeedFile> files;
};

inline constexpr const char* kSeedLabel = "TRUSTNET";

std::string seed_manifest(const Seed& seed);  // throws Error on a path or name the manifest cannot carry
// Written beside `iso` and renamed into place; mode 0600, since it holds private keys.
void write_seed_iso(const std::filesystem::path& iso, const Seed& seed);

}  // namespace trustnet::launcher
