// Release verification on an arbitrary manifest: a real signature over the bytes by the trusted
// key (so that parsing past the signature check is reached), SHA256SUMS naming it, no image.
#include <filesystem>
#include <fstream>

#include "common/release/release_verification.hpp"
#include "common/release/signing_key.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "fuzz_input.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path key = [] {
    const fs::path k = trustnet::fuzz::work_dir() / "release.key";
    if (!fs::exists(k)) trustnet::generate_signing_key(k, fs::path(k.string() + ".pub"));
    return k;
  }();
  const fs::path dir = trustnet::fuzz::work_dir() / "release";
  fs::create_directories(dir);
  const std::string manifest(reinterpret_cast<const char*>(data), size);
  std::ofstream(dir / "node.manifest.json", std::ios::trunc) << manifest;
  static const trustnet::SigningKey signing = trustnet::SigningKey::load(key);
  std::ofstream(dir / "node.manifest.json.minisig", std::ios::trunc) << signing.sign(manifest, "timestamp:0");
  std::ofstream(dir / "SHA256SUMS", std::ios::trunc) << trustnet::sha256_hex(manifest) << "  node.manifest.json\n";
  try {
    trustnet::verify_release(dir, fs::path(key.string() + ".pub"));
  } catch (const trustnet::Error&) {
  }
  return 0;
}
