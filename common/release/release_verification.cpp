#include "common/release/release_verification.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/release/release_artifact.hpp"
#include "common/release/signing_key.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path find_manifest(const fs::path& dir) {
  if (dir.string().ends_with(".manifest.json")) {
    if (!fs::is_regular_file(dir))
      throw Error(fmt::format("{} is missing: the image is not in a release folder", dir.string()));
    return dir;
  }
  if (!fs::is_directory(dir))
    throw Error(fmt::format("release folder {} does not exist", dir.string()), ExitCode::bad_input);
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().ends_with(".manifest.json")) found.push_back(entry.path());
  if (found.size() != 1)
    throw Error(fmt::format("{} holds {} manifests (NAME.manifest.json); name one", dir.string(), found.size()),
                ExitCode::bad_input);
  return found[0];
}

std::map<std::string, std::string> read_sums(const fs::path& file) {
  std::map<std::string, std::string> sums;
  std::istringstream in(read_text_file(file));
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.size() < 67 || line.substr(64, 2) != "  " || line.find_first_not_of("0123456789abcdef") < 64)
      throw Error(fmt::format("{}:{}: not a sha256sum line", file.string(), number));
    // A name is a file of the release folder itself: never a path that leaves it.
    const std::string name = line.substr(66);
    if (!plain_file_name(name))
      throw Error(fmt::format("{}:{}:67: '{}' is not a plain file name of the release folder", file.string(), number,
                              printable(name)),
                  ExitCode::bad_input);
    if (!sums.emplace(name, line.substr(0, 64)).second)
      throw Error(fmt::format("{}:{}:67: {} is named twice", file.string(), number, printable(name)),
                  ExitCode::bad_input);
  }
  return sums;
}

std::vector<std::string> signature_names(const std::string& manifest_name) {
  return {manifest_name + ".minisig", manifest_name + ".sig"};
}

bool is_signature_name(const std::string& file_name) {
  return file_name.ends_with(".manifest.json.minisig") || file_name.ends_with(".manifest.json.sig");
}

std::optional<std::string> find_signature(const std::string& manifest_name,
                                          const std::function<bool(const std::string&)>& has) {
  for (const std::string& name : signature_names(manifest_name))
    if (has(name)) return name;
  return std::nullopt;
}

std::string check_manifest_signature(const std::string& manifest_bytes, const std::string& signature,
                                     const fs::path& public_key, const std::string& where,
                                     const std::string& signature_name) {
  const std::string manifest_name = fs::path(signature_name).stem().string();  // without .minisig or .sig
  const std::string trusted = public_key_fingerprint(public_key);
  if (signature_matches(manifest_bytes, signature, public_key)) return trusted;
  std::string signer;
  try {
    signer = json::parse(manifest_bytes).value("signing_key", "");
  } catch (const json::exception&) {
  }
  if (!signer.empty() && signer != trusted)
    throw Error(fmt::format("{}: {} is signed by another key ({}), not the trusted {}", where, manifest_name,
                            printable(signer), trusted));
  if (const auto ids = foreign_key_id(signature, public_key))
    throw Error(
        fmt::format("{}: {} was signed by the key with id {}, not the trusted key (id {}): another key signed "
                    "it, or the signature was replaced",
                    where, signature_name, ids->first, ids->second));
  throw Error(fmt::format("{}: the signature {} does not verify with {}: the signature was altered or damaged", where,
                          signature_name, trusted));
}

VerifiedRelease verify_release(const fs::path& dir, const fs::path& public_key,
                               const std::map<std::string, std::string>& hashed_now) {
  const fs::path manifest_file = find_manifest(dir);
  const fs::path folder = manifest_file.parent_path();
  const std::string manifest_name = manifest_file.filename().string();
  const fs::path sums_file = folder / "SHA256SUMS";
  const auto present =
      find_signature(manifest_name, [&](const std::string& name) { return fs::is_regular_file(folder / name); });
  if (!present)
    throw Error(fmt::format("release {}: {} is missing", folder.string(), signature_names(manifest_name).front()));
  const fs::path signature_file = folder / *present;
  if (!fs::is_regular_file(sums_file)) throw Error(fmt::format("release {}: SHA256SUMS is missing", folder.string()));
  if (!fs::is_regular_file(public_key))
    throw Error(fmt::format("public key {} does not exist", public_key.string()), ExitCode::bad_input);

  const std::string manifest_bytes = read_text_file(manifest_file);
  const auto sums = read_sums(sums_file);
  auto listed = sums.find(manifest_name);
  if (listed == sums.end())
    throw Error(fmt::format("release {}: SHA256SUMS does not list {}", folder.string(), manifest_name));
  if (listed->second != sha256_hex(manifest_bytes))
    throw Error(fmt::format("release {}: {} does not match SHA256SUMS: the manifest was altered", folder.string(),
                            manifest_name));

  json manifest;
  try {
    manifest = json::parse(manifest_bytes);
  } catch (const json::exception&) {
    throw Error(fmt::format("release {}: {} is not JSON", folder.string(), manifest_name));
  }
  const std::string trusted = check_manifest_signature(manifest_bytes, read_text_file(signature_file), public_key,
                                                       "release " + folder.string(), *present);

  VerifiedRelease release;
  release.manifest = manifest_file;
  release.signing_key = trusted;
  try {
    release.appliance = manifest.at("appliance").get<std::string>();
    release.build_time = manifest.value("build_time", "");
    // Every file the signed manifest names must be listed alike in SHA256SUMS and have that digest.
    for (const char* part : {"image", "contents"}) {
      const std::string name = manifest.at(part).at("file").get<std::string>(),
                        digest = manifest.at(part).at("sha256").get<std::string>();
      if (!plain_file_name(name))
        throw Error(fmt::format("release {}: the manifest names {} outside the release folder", folder.string(), name));
      const fs::path file = folder / name;
      if (!fs::is_regular_file(file)) throw Error(fmt::format("release {}: {} is missing", folder.string(), name));
      auto sum = sums.find(name);
      if (sum == sums.end() || sum->second != digest)
        throw Error(
            fmt::format("release {}: SHA256SUMS disagrees with the signed manifest about {}", folder.string(), name));
      const auto hashed = hashed_now.find(name);
      const std::string actual = hashed != hashed_now.end() ? hashed->second : sha256_file(file);
      if (actual != digest)
        throw Error(fmt::format("release {}: {} has sha256 {}, but the signed manifest says {}: the file was altered",
                                folder.string(), name, actual, digest));
      if (std::string(part) == "image") {
        release.image = file;
        release.image_sha256 = digest;
        release.image_size = fs::file_size(file);
      } else {
        release.listing = file;
      }
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("release {}: {} lacks a field: {}", folder.string(), manifest_name, e.what()));
  }
  return release;
}

}  // namespace trustnet
