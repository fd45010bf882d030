#pragma once
// `launch pull`: a release from a registry (oci://HOST/REPO:TAG or @sha256:…) or a web folder
// (https://HOST/PATH/NAME/) into the host's content-addressed cache, verified before it is used:
//   1. the small files first (the release manifest, its signature, SHA256SUMS, the listing);
//   2. the manifest's signature with the trusted key, so that nothing big is downloaded for a
//      release that is not ours;
//   3. the image, pinned by the digest the signed manifest gives (for a registry, the layer's
//      digest must be that digest too), with the fetcher's resume, retries and progress;
//   4. the whole release folder, assembled from cache entries, with verify_release.
// The compressed image is used as it is: it is the instances' backing file.
#include <filesystem>
#include <optional>
#include <string>

#include "common/transfer/oci_reference.hpp"
#include "common/transfer/transfer_display.hpp"
#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

struct PulledRelease {
  std::string source;           // as configured
  std::string digest;           // what the source resolved to: the OCI manifest's digest, or sha256:MANIFEST (web)
  std::string manifest_sha256;  // of the signed release manifest: names the folder in the cache
  std::string appliance, build_time, image_sha256, signing_key;
  std::filesystem::path folder;  // CACHE/releases/MANIFEST_SHA256
  uint64_t bytes_downloaded = 0;
};

PulledRelease pull_release(const ReleaseLocation& source, const std::filesystem::path& trusted_key,
                           const PullSettings& settings, TransferDisplay& display);

}  // namespace trustnet::launcher
