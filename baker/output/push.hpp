#pragma once
// `bake push`: a release folder (bake publish) to where hosts pull it from:
//   oci://HOST[:PORT]/PREFIX:TAG   a registry: PREFIX/NAME:TAG, an OCI artifact (release_artifact.hpp)
//   file:///DIR                    DIR/NAME/, a copy renamed into place whole
//   https://HOST/PATH/             PATH/NAME/, each file sent with HTTP PUT (WebDAV servers)
// Before the first byte leaves, the manifest's signature is checked with the trusted public key and
// the folder's files against the signed manifest and SHA256SUMS as they are hashed: a damaged,
// altered or re-signed release is never pushed, and only the files the signed manifest names are.
// What the destination already holds is not sent again.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/release/release_artifact.hpp"
#include "common/transfer/oci_reference.hpp"
#include "common/transfer/registry_client.hpp"
#include "common/transfer/transfer_display.hpp"

namespace trustnet::baker {

struct PushOptions {
  std::filesystem::path release_dir = "release";  // holds NAME/ from bake publish
  std::filesystem::path public_key;               // the release key's public half (bake keygen's FILE.pub)
  ReleaseLocation destination;
  RegistryAccess access;  // TLS and credentials, for registries and web folders
};

struct PushOutcome {
  std::string name, destination;  // where it went: oci://…/NAME:TAG, file:///…/NAME, https://…/NAME/
  std::string digest;             // the OCI manifest's, for a registry
  size_t sent = 0, kept = 0;      // files sent, and files the destination already had
  uint64_t bytes_sent = 0;
  double seconds = 0;
};

// The files of release folder `folder`, hashed, its signature verified with `public_key`, each
// checked against the signed manifest and SHA256SUMS.
ReleaseArtifact read_release_folder(const std::filesystem::path& folder, const std::filesystem::path& public_key);

PushOutcome push_release(const std::string& name, const PushOptions& options, TransferDisplay& display);

// Where a release goes: one backend per kind of ReleaseLocation (registry_push.cpp,
// folder_push.cpp), chosen by push_target.
class PushTarget {
 public:
  virtual ~PushTarget() = default;
  // The destination holds this release already, every file as signed: nothing is sent.
  virtual bool has(const ReleaseArtifact& release) = 0;
  // Sends the release from its folder (what the destination holds of it may be kept); returns
  // what was sent and kept.
  virtual PushOutcome put(const ReleaseArtifact& release) = 0;
  // The OCI manifest's digest, for a registry; empty otherwise.
  virtual std::string digest(const ReleaseArtifact&) const { return ""; }
};

// The backend that pushes release folder `folder` to `target` (the release's own location,
// release_of), dispatched with std::visit: a new kind of location does not build until it has one.
std::unique_ptr<PushTarget> push_target(const ReleaseLocation& target, const std::filesystem::path& folder,
                                        const RegistryAccess& access, TransferDisplay& display);

// The backends.
std::unique_ptr<PushTarget> registry_target(const OciReference& target, const std::filesystem::path& folder,
                                            const RegistryAccess& access, TransferDisplay& display);
std::unique_ptr<PushTarget> folder_target(const std::filesystem::path& target, const std::filesystem::path& folder);
std::unique_ptr<PushTarget> web_folder_target(const std::string& url, const std::filesystem::path& folder,
                                              const RegistryAccess& access, TransferDisplay& display);

}  // namespace trustnet::baker
