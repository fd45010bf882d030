#include "common/release/release_artifact.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"

using namespace trustnet;
using nlohmann::json;

namespace {

ReleaseArtifact node_release() {
  const std::string a(64, 'a'), b(64, 'b');
  return {"node",
          "2026-11-27T00:00:00Z",
          {{"node.manifest.json", release_media_type("node.manifest.json"), "sha256:" + a, 900},
           {"node.qcow2", release_media_type("node.qcow2"), "sha256:" + b, 1 << 30}}};
}

}  // namespace

TEST_CASE("a release artifact manifest is an OCI 1.1 artifact, the same bytes every time, and reads back") {
  const std::string text = artifact_manifest(node_release());
  CHECK(text == artifact_manifest(node_release()));
  const json manifest = json::parse(text);
  CHECK(manifest["mediaType"] == kOciManifestType);
  CHECK(manifest["artifactType"] == kReleaseArtifactType);
  CHECK(manifest["config"]["mediaType"] == kEmptyConfigType);
  CHECK(manifest["config"]["digest"] == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  CHECK(manifest["layers"][1]["mediaType"] == "application/vnd.trustnet.release.image.v1.qcow2");
  CHECK(manifest["layers"][1]["annotations"]["org.opencontainers.image.title"] == "node.qcow2");

  const ReleaseArtifact back = parse_artifact_manifest(text, "m");
  CHECK(back.appliance == "node");
  REQUIRE(back.files.size() == 2);
  CHECK(back.files[1].name == "node.qcow2");
  CHECK(back.files[1].size == 1u << 30);
}

TEST_CASE("an artifact manifest a puller must not trust is refused, saying why") {
  auto refusal = [](json manifest) {
    try {
      parse_artifact_manifest(manifest.dump(), "oci://h/r:1");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const json good = json::parse(artifact_manifest(node_release()));
  json image = good;
  image["artifactType"] = "application/vnd.docker.container.image.v1+json";
  CHECK(refusal(image).find("not a TrustNet release (artifactType application/vnd.docker") != std::string::npos);
  json numbered = good;  // found by the fuzzer: a number where text belongs ended in std::terminate
  numbered["artifactType"] = 57;
  CHECK(refusal(numbered) == "oci://h/r:1: the manifest's artifactType is not text");
  json climbing = good;
  climbing["layers"][0]["annotations"]["org.opencontainers.image.title"] = "../etc/passwd";
  CHECK(refusal(climbing).find("'../etc/passwd' is not a plain file name") != std::string::npos);
  json hidden = good;
  hidden["layers"][0]["annotations"]["org.opencontainers.image.title"] = ".ssh";
  CHECK(refusal(hidden).find("not a plain file name") != std::string::npos);
  json upper = good;
  upper["layers"][0]["digest"] = "sha256:" + std::string(64, 'A');
  CHECK(refusal(upper).find("not sha256: and 64 lower-case hex digits") != std::string::npos);
  json twice = good;
  twice["layers"][1]["annotations"]["org.opencontainers.image.title"] = "node.manifest.json";
  CHECK(refusal(twice).find("two layers are called node.manifest.json") != std::string::npos);
  json no_size = good;
  no_size["layers"][0].erase("size");
  CHECK(refusal(no_size).find("lacks a field") != std::string::npos);
  CHECK(refusal(json::array()).find("not a JSON object") != std::string::npos);
}
