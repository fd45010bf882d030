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

// The three ways; each returns what it sent.
PushOutcome push_to_registry(const ReleaseArtifact& release, const std::filesystem::path& folder,
                             const OciReference& target, const RegistryAccess& access, TransferDisplay& display);
PushOutcome push_to_folder(const ReleaseArtifact& release, const std::filesystem::path& folder,
                           const std::filesystem::path& target);
PushOutcome push_to_web_folder(const ReleaseArtifact& release, const std::filesystem::path& folder,
                               const std::string& target_url, const RegistryAccess& access, TransferDisplay& display);

}  // namespace trustnet::baker
