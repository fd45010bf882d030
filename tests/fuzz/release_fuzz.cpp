// Release verification and the pusher's reading of a release folder on arbitrary input: the
// manifest (before a line "--SUMS--") with a real signature over it by the trusted key (so that
// parsing past the signature check is reached), and SHA256SUMS naming it, followed by whatever
// lines come after "--SUMS--" (hostile names: "../../evil", duplicates, control characters).
#include <filesystem>
#include <fstream>

#include "baker/output/push.hpp"
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
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n--SUMS--\n");
  const std::string manifest = input.substr(0, split);
  const std::string more_sums = split == std::string::npos ? "" : input.substr(split + 10);
  std::ofstream(dir / "node.manifest.json", std::ios::trunc) << manifest;
  static const trustnet::SigningKey signing = trustnet::SigningKey::load(key);
  std::ofstream(dir / "node.manifest.json.minisig", std::ios::trunc) << signing.sign(manifest, "timestamp:0");
  std::ofstream(dir / "SHA256SUMS", std::ios::trunc) << trustnet::sha256_hex(manifest) << "  node.manifest.json\n"
                                                     << more_sums;
  const fs::path public_key = key.string() + ".pub";
  try {
    trustnet::verify_release(dir, public_key);
  } catch (const trustnet::Error&) {
  }
  try {
    trustnet::baker::read_release_folder(dir, public_key);
  } catch (const trustnet::Error&) {
  }
  return 0;
}
