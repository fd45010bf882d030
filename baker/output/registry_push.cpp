// push_to_registry: HEAD before every upload, so that a second push of the same release sends
// no blob and, when the tag already names the same manifest, nothing at all.
#include <fmt/format.h>

#include "baker/output/push.hpp"
#include "common/transfer/retries.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {

PushOutcome push_to_registry(const ReleaseArtifact& release, const std::filesystem::path& folder,
                             const OciReference& target, const RegistryAccess& access, TransferDisplay& display) {
  if (target.tag.empty() || !target.digest.empty())
    throw Error(fmt::format("{}: a push names a tag, oci://HOST/PREFIX:TAG, and no digest", target.text()),
                ExitCode::bad_input);
  RegistryClient client(target, access);
  const std::string manifest = artifact_manifest(release);
  PushOutcome outcome;
  outcome.digest = "sha256:" + sha256_hex(manifest);
  if (client.manifest_digest(target.tag) == outcome.digest) {
    outcome.kept = release.files.size();
    return outcome;
  }
  const std::string config_digest = "sha256:" + sha256_hex(kEmptyConfig);
  if (!client.has_blob(config_digest)) client.upload_blob(std::string(kEmptyConfig), config_digest);
  for (const ReleaseFile& file : release.files) {
    if (client.has_blob(file.digest)) {
      ++outcome.kept;
      continue;
    }
    retry_transient(
        [&] {
          display.start(file.name, "push");
          client.upload_blob(folder / file.name, file.digest, &display);
        },
        "push " + file.name, display);
    ++outcome.sent;
    outcome.bytes_sent += file.size;
  }
  retry_transient([&] { return client.put_manifest(manifest, kOciManifestType, target.tag); }, "push the manifest",
                  display);
  return outcome;
}

}  // namespace trustnet::baker
