// The registry backend: HEAD before every upload, so that a second push of the same release sends
// no blob and, when the tag already names the same manifest, nothing at all.
#include <fmt/format.h>

#include "baker/output/push.hpp"
#include "common/transfer/retries.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {

namespace {

class RegistryTarget final : public PushTarget {
 public:
  RegistryTarget(const OciReference& target, std::filesystem::path folder, const RegistryAccess& access,
                 TransferDisplay& display)
      : target_(target), folder_(std::move(folder)), client_(target, access), display_(display) {
    if (target.tag.empty() || !target.digest.empty())
      throw Error(fmt::format("{}: a push names a tag, oci://HOST/PREFIX:TAG, and no digest", target.text()),
                  ExitCode::bad_input);
  }
  std::string digest(const ReleaseArtifact& release) const override {
    return "sha256:" + sha256_hex(artifact_manifest(release));
  }
  // The tag names this release's manifest already.
  bool has(const ReleaseArtifact& release) override { return client_.manifest_digest(target_.tag) == digest(release); }
  PushOutcome put(const ReleaseArtifact& release) override;

 private:
  OciReference target_;
  std::filesystem::path folder_;
  RegistryClient client_;
  TransferDisplay& display_;
};

PushOutcome RegistryTarget::put(const ReleaseArtifact& release) {
  const std::filesystem::path& folder = folder_;
  RegistryClient& client = client_;
  TransferDisplay& display = display_;
  const std::string manifest = artifact_manifest(release);
  PushOutcome outcome;
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
  retry_transient([&] { return client.put_manifest(manifest, kOciManifestType, target_.tag); }, "push the manifest",
                  display);
  return outcome;
}

}  // namespace

std::unique_ptr<PushTarget> registry_target(const OciReference& target, const std::filesystem::path& folder,
                                            const RegistryAccess& access, TransferDisplay& display) {
  return std::make_unique<RegistryTarget>(target, folder, access, display);
}

}  // namespace trustnet::baker
