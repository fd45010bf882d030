#include "baker/output/push.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "common/release/release_verification.hpp"
#include "common/util/error.hpp"
#include "common/util/overloaded.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// Small files first: a puller reads the manifest and signature before the image.
int send_order(const ReleaseFile& file) {
  if (file.name.ends_with(".manifest.json")) return 0;
  if (is_signature_name(file.name)) return 1;
  if (file.name == "SHA256SUMS") return 2;
  if (file.name.ends_with(".mtree")) return 3;
  return 4;
}

}  // namespace

ReleaseArtifact read_release_folder(const fs::path& folder, const fs::path& public_key) {
  const fs::path manifest_file = find_manifest(folder);
  const fs::path sums_file = folder / "SHA256SUMS";
  if (!fs::is_regular_file(fs::symlink_status(sums_file)))
    throw Error(fmt::format("release {}: SHA256SUMS is missing; publish it again", folder.string()));
  const std::map<std::string, std::string> sums = read_sums(sums_file);

  // The folder holds exactly SHA256SUMS, the files it names and the manifest's signature (the first
  // form the folder holds): anything else (a link to /etc/shadow named leak.sig) is refused, never
  // sent. Each is hashed once, here; what is sent is checked against these digests as it goes.
  const std::string manifest_name = manifest_file.filename().string();
  const auto signature = find_signature(
      manifest_name, [&](const std::string& name) { return fs::exists(fs::symlink_status(folder / name)); });
  std::set<std::string> wanted{"SHA256SUMS", manifest_name, signature.value_or(signature_names(manifest_name).front())};
  for (const auto& [name, digest] : sums) wanted.insert(name);
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (!wanted.contains(name))
      throw Error(fmt::format("release {}: {} is not part of the release (SHA256SUMS does not name it); remove it",
                              folder.string(), printable(name)),
                  ExitCode::bad_input);
  }
  std::map<std::string, std::string> digests;
  for (const std::string& name : wanted) {
    const fs::path file = folder / name;
    const fs::file_status status = fs::symlink_status(file);
    if (!fs::exists(status))
      throw Error(fmt::format("release {}: {} is missing; publish it again", folder.string(), name));
    if (!fs::is_regular_file(status))
      throw Error(
          fmt::format("release {}: {} is not a regular file (a link or a device is never sent)", folder.string(), name),
          ExitCode::bad_input);
    digests[name] = sha256_file(file);
    if (auto listed = sums.find(name); listed != sums.end() && listed->second != digests[name])
      throw Error(
          fmt::format("release {}: {} does not match SHA256SUMS: the folder was damaged or altered; publish "
                      "it again",
                      folder.string(), name));
  }

  // The signature before the first byte leaves: what is pushed is exactly what the signed manifest
  // names (its image and listing), the manifest, its signature and SHA256SUMS.
  const VerifiedRelease verified = verify_release(manifest_file, public_key, digests);
  const std::set<std::string> signed_names{manifest_name, verified.image.filename().string(),
                                           verified.listing.filename().string()};
  for (const auto& [name, digest] : sums)
    if (!signed_names.contains(name))
      throw Error(fmt::format("release {}: SHA256SUMS names {}, which the signed manifest does not; publish it again",
                              folder.string(), printable(name)),
                  ExitCode::bad_input);

  ReleaseArtifact release;
  release.appliance = verified.appliance;
  release.created = verified.build_time;
  for (const auto& [name, digest] : digests)
    release.files.push_back({name, release_media_type(name), "sha256:" + digest, fs::file_size(folder / name)});
  std::sort(release.files.begin(), release.files.end(), [](const ReleaseFile& a, const ReleaseFile& b) {
    return std::pair(send_order(a), a.name) < std::pair(send_order(b), b.name);
  });
  return release;
}

std::unique_ptr<PushTarget> push_target(const ReleaseLocation& target, const fs::path& folder,
                                        const RegistryAccess& access, TransferDisplay& display) {
  return std::visit(overloaded{
                        [&](const OciReference& oci) { return registry_target(oci, folder, access, display); },
                        [&](const FolderLocation& dir) { return folder_target(dir.path, folder); },
                        [&](const WebLocation& web) { return web_folder_target(web.url, folder, access, display); },
                    },
                    target);
}

PushOutcome push_release(const std::string& name, const PushOptions& options, TransferDisplay& display) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path folder = options.release_dir / name;
  if (!fs::is_directory(folder))
    throw Error(fmt::format("release folder {} does not exist: bake publish {} first", folder.string(), name),
                ExitCode::bad_input);
  const ReleaseArtifact release = read_release_folder(folder, options.public_key);
  const ReleaseLocation target = release_of(options.destination, name);
  PushOutcome outcome;
  try {
    const std::unique_ptr<PushTarget> backend = push_target(target, folder, options.access, display);
    if (backend->has(release))
      outcome.kept = release.files.size();
    else
      outcome = backend->put(release);
    outcome.digest = backend->digest(release);
  } catch (Error& e) {
    if (!e.has_context()) e.with_context(fmt::format("push {} to {}", name, location_text(target)));
    throw;
  }
  outcome.name = name;
  outcome.destination = location_text(target);
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace trustnet::baker
