// What a registry or the network hands a puller before anything is verified: an OCI artifact
// manifest, a WWW-Authenticate challenge, and the image reference the operator wrote. The first
// byte picks the parser; the rest is its input.
#include <string>

#include "common/release/release_artifact.hpp"
#include "common/transfer/oci_reference.hpp"
#include "common/transfer/registry_credentials.hpp"
#include "common/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      try {
        const trustnet::ReleaseArtifact artifact = trustnet::parse_artifact_manifest(text, "fuzz");
        // What was accepted writes back and reads back the same.
        const trustnet::ReleaseArtifact again =
            trustnet::parse_artifact_manifest(trustnet::artifact_manifest(artifact), "fuzz");
        if (again.files.size() != artifact.files.size()) __builtin_trap();
        for (const auto& file : artifact.files)
          if (!trustnet::plain_file_name(file.name)) __builtin_trap();
      } catch (const trustnet::Error&) {
      }
      break;
    case 1: (void)trustnet::parse_auth_challenge(text); break;
    default: {
      const auto parsed = trustnet::parse_release_location(text);
      if (!parsed.problem) (void)trustnet::location_text(trustnet::release_of(parsed.value, "node"));
    }
  }
  return 0;
}
