#pragma once
// A release folder as an OCI artifact (image-spec 1.1): an image manifest whose artifactType
// says "TrustNet release", an empty config, and one layer per file of the folder with its media
// type and its name in org.opencontainers.image.title. The manifest is written the same way
// every time for the same files, so that a second push of a release finds it already there.
// Parsing checks what a puller relies on: the artifact type, digests, and plain file names.
#include <cstdint>
#include <string>
#include <vector>

namespace trustnet {

inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kReleaseArtifactType = "application/vnd.trustnet.release.v1";
inline constexpr const char* kEmptyConfigType = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kEmptyConfig = "{}";

struct ReleaseFile {
  std::string name;  // its name in the release folder
  std::string media_type;
  std::string digest;  // "sha256:HEX"
  uint64_t size = 0;
};

// The media type of a release folder's file, from its name.
std::string release_media_type(const std::string& file_name);

struct ReleaseArtifact {
  std::string appliance, created;  // created: the release's build time (RFC 3339)
  std::vector<ReleaseFile> files;
};

std::string artifact_manifest(const ReleaseArtifact& artifact);
// `where` names the manifest in messages. Throws an Error for anything a puller must not trust.
ReleaseArtifact parse_artifact_manifest(const std::string& bytes, const std::string& where);

// A file name that stays inside the release folder: no '/', not "." or "..", no leading '.',
// no control characters.
bool plain_file_name(const std::string& name);

}  // namespace trustnet
