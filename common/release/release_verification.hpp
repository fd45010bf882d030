#pragma once
// Checks a release folder written by `bake publish`: the signature over the manifest
// with a trusted public key, the manifest against SHA256SUMS, and every file it names (the
// compressed image, the content listing) against its digest. Used by `bake verify` and by the
// launcher before it starts an image. Each failure is an Error saying what failed.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trustnet {

struct VerifiedRelease {
  std::string appliance;
  std::filesystem::path manifest, image, listing;
  std::string image_sha256, signing_key;  // the key's fingerprint
  std::string build_time;                 // the manifest's, when it has one
  uint64_t image_size = 0;
};

// `dir` holds exactly one NAME.manifest.json, or `manifest` names it. `hashed_now` gives the
// SHA-256 of files the caller hashed itself as it wrote them (a download checked against its
// pin), so that they are not read a second time; every other file is hashed here.
VerifiedRelease verify_release(const std::filesystem::path& dir, const std::filesystem::path& public_key,
                               const std::map<std::string, std::string>& hashed_now = {});

// The signature beside NAME.manifest.json: NAME.manifest.json.minisig, minisign's form, which
// `bake publish` writes; or NAME.manifest.json.sig, the raw Ed25519 signature of older releases.
// The names to look for, the current form first.
std::vector<std::string> signature_names(const std::string& manifest_name);
bool is_signature_name(const std::string& file_name);
// The first of signature_names that `has` (a folder, a download list) holds.
std::optional<std::string> find_signature(const std::string& manifest_name,
                                          const std::function<bool(const std::string&)>& has);

// The signature check alone, for a puller that checks a release's manifest before it downloads
// the image: an Error ("WHERE: MANIFEST_NAME is signed by another key …") unless `signature` (the
// file `signature_name`) over `manifest_bytes` verifies with `public_key`; returns the key's
// fingerprint.
std::string check_manifest_signature(const std::string& manifest_bytes, const std::string& signature,
                                     const std::filesystem::path& public_key, const std::string& where,
                                     const std::string& signature_name);

// SHA256SUMS as sha256sum writes it ("DIGEST  NAME" lines): digest by file name; an Error
// naming file:line for any other line, a name that is not a plain file name (plain_file_name)
// and a name listed twice.
std::map<std::string, std::string> read_sums(const std::filesystem::path& file);

// The manifest a release folder holds; an Error when there is none or more than one.
std::filesystem::path find_manifest(const std::filesystem::path& dir);

}  // namespace trustnet
