#include "common/release/release_artifact.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/config/rules.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet {
using nlohmann::json;

namespace {
const char* const kTitle = "org.opencontainers.image.title";
const char* const kCreated = "org.opencontainers.image.created";
}  // namespace

std::string release_media_type(const std::string& file_name) {
  if (file_name.ends_with(".qcow2")) return "application/vnd.trustnet.release.image.v1.qcow2";
  if (file_name.ends_with(".mtree")) return "application/vnd.trustnet.release.contents.v1.mtree";
  if (file_name.ends_with(".manifest.json")) return "application/vnd.trustnet.release.manifest.v1+json";
  if (file_name.ends_with(".manifest.json.minisig")) return "application/vnd.trustnet.release.signature.v1.minisign";
  if (file_name.ends_with(".manifest.json.sig")) return "application/vnd.trustnet.release.signature.v1.ed25519";
  if (file_name == "SHA256SUMS") return "application/vnd.trustnet.release.sums.v1.sha256sum";
  return "application/octet-stream";
}

bool plain_file_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.starts_with('.')) return false;
  for (const char c : name)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

std::string artifact_manifest(const ReleaseArtifact& artifact) {
  json layers = json::array();
  for (const ReleaseFile& file : artifact.files)
    layers.push_back({{"mediaType", file.media_type},
                      {"digest", file.digest},
                      {"size", file.size},
                      {"annotations", {{kTitle, file.name}}}});
  json annotations = {{kTitle, artifact.appliance}};
  if (!artifact.created.empty()) annotations[kCreated] = artifact.created;
  const json manifest = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifestType},
      {"artifactType", kReleaseArtifactType},
      {"config",
       {{"mediaType", kEmptyConfigType},
        {"digest", "sha256:" + sha256_hex(kEmptyConfig)},
        {"size", 2},
        {"data", "e30="}}},
      {"layers", layers},
      {"annotations", annotations},
  };
  return manifest.dump();
}

ReleaseArtifact parse_artifact_manifest(const std::string& bytes, const std::string& where) {
  auto fail = [&](const std::string& why) { return Error(fmt::format("{}: {}", where, why)); };
  json manifest;
  try {
    manifest = json::parse(bytes);
  } catch (const json::exception&) {
    throw fail("the manifest is not JSON");
  }
  if (!manifest.is_object()) throw fail("the manifest is not a JSON object");
  for (const char* field : {"artifactType", "mediaType"})
    if (manifest.contains(field) && !manifest[field].is_string())
      throw fail(fmt::format("the manifest's {} is not text", field));
  const std::string artifact_type = manifest.value("artifactType", "");
  if (artifact_type != kReleaseArtifactType)
    throw fail(artifact_type.empty()
                   ? std::string("not a TrustNet release (the manifest has no artifactType)")
                   : fmt::format("not a TrustNet release (artifactType {})", printable(artifact_type)));
  if (manifest.value("mediaType", kOciManifestType) != std::string(kOciManifestType))
    throw fail("the manifest is not an OCI image manifest");
  ReleaseArtifact artifact;
  try {
    const json& annotations = manifest.value("annotations", json::object());
    artifact.appliance = annotations.value(kTitle, "");
    artifact.created = annotations.value(kCreated, "");
    std::set<std::string> names;
    for (const json& layer : manifest.at("layers")) {
      ReleaseFile file;
      file.media_type = layer.at("mediaType").get<std::string>();
      file.digest = layer.at("digest").get<std::string>();
      file.size = layer.at("size").get<uint64_t>();
      file.name = layer.at("annotations").at(kTitle).get<std::string>();
      if (!plain_file_name(file.name))
        throw fail(fmt::format("layer title '{}' is not a plain file name", printable(file.name)));
      if (!file.digest.starts_with("sha256:") || check_sha256(file.digest.substr(7)) ||
          file.digest != "sha256:" + parse_sha256(file.digest.substr(7)).value)
        throw fail(fmt::format("layer {} has digest '{}', not sha256: and 64 lower-case hex digits", file.name,
                               printable(file.digest)));
      if (!names.insert(file.name).second) throw fail(fmt::format("two layers are called {}", file.name));
      artifact.files.push_back(file);
    }
  } catch (const json::exception& e) {
    throw fail(fmt::format("the manifest lacks a field or has one of the wrong type ({})", e.what()));
  }
  if (artifact.files.empty()) throw fail("the manifest has no layers");
  return artifact;
}

}  // namespace trustnet
