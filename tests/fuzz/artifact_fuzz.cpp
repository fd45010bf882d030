// What a registry or the network hands a puller or a pusher before anything is verified: an OCI
// artifact manifest, a WWW-Authenticate challenge, a token service's answer, an upload's Location
// (resolved against the request, then judged by its origin), and the image reference the
// operator wrote. The first byte picks the parser; the rest is its input.
#include <string>

#include "common/release/release_artifact.hpp"
#include "common/transfer/oci_reference.hpp"
#include "common/transfer/registry_credentials.hpp"
#include "common/transfer/url.hpp"
#include "common/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
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
    case 2: {
      // A token goes into a header: never with a byte outside the token characters.
      if (const auto token = trustnet::parse_token_response(text))
        for (const char c : *token)
          if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == ',' || c == ';') __builtin_trap();
      break;
    }
    case 3: {
      const std::string base = "https://127.0.0.1:5000/v2/trustnet/node/blobs/uploads/";
      if (const auto target = trustnet::resolve_location(base, text)) {
        // What resolves is an http(s) URL with an origin, and one line.
        if (!trustnet::url_origin(*target)) __builtin_trap();
        if (target->find('\n') != std::string::npos || target->find('\r') != std::string::npos) __builtin_trap();
      }
      break;
    }
    default: {
      const auto parsed = trustnet::parse_release_location(text);
      if (!parsed.problem) (void)trustnet::location_text(trustnet::release_of(parsed.value, "node"));
    }
  }
  return 0;
}
