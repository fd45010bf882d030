#include "launcher/pull/release_pull.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/config/rules.hpp"
#include "common/release/release_artifact.hpp"
#include "common/release/release_verification.hpp"
#include "common/transfer/fetcher.hpp"
#include "common/transfer/registry_client.hpp"
#include "common/util/error.hpp"
#include "common/util/overloaded.hpp"
#include "common/util/sha256.hpp"
#include "common/util/temporary_folder.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kSmallFileLimit = 4 << 20;
constexpr uint64_t kListingLimit = 64 << 20;  // a web folder's listing, whose size nothing declares

// What the signed release manifest says the image and listing are.
struct SignedFiles {
  std::string appliance, build_time, image_file, image_sha256, listing_file, listing_sha256;
  uint64_t image_size = 0;
};

SignedFiles signed_files(const std::string& manifest_bytes, const std::string& where) {
  try {
    const json manifest = json::parse(manifest_bytes);
    SignedFiles files{
        manifest.at("appliance").get<std::string>(),           manifest.value("build_time", ""),
        manifest.at("image").at("file").get<std::string>(),    manifest.at("image").at("sha256").get<std::string>(),
        manifest.at("contents").at("file").get<std::string>(), manifest.at("contents").at("sha256").get<std::string>(),
        manifest.at("image").at("size").get<uint64_t>()};
    for (const std::string* name : {&files.image_file, &files.listing_file})
      if (!plain_file_name(*name))
        throw Error(fmt::format("{}: the manifest names {} outside the release", where, printable(*name)));
    for (const std::string* digest : {&files.image_sha256, &files.listing_sha256})
      if (check_sha256(*digest) || parse_sha256(*digest).value != *digest)
        throw Error(
            fmt::format("{}: the manifest's digest '{}' is not 64 lower-case hex digits", where, printable(*digest)));
    return files;
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: the release manifest lacks a field ({})", where, e.what()));
  }
}

// The release folder from cache entries (hard links: same file system, no copy), verified
// whole, under its manifest's digest. One an earlier pull made is not trusted as it is: its only
// use, the instance's copy (pull_instances), is verified again as it is made.
fs::path assemble_folder(const InputCache& cache, const std::map<std::string, std::string>& entries,
                         const std::string& manifest_sha256, const fs::path& trusted_key,
                         const std::map<std::string, std::string>& hashed_now) {
  const fs::path folder = cache.root() / "releases" / manifest_sha256;
  if (fs::is_directory(fs::symlink_status(folder))) return folder;
  fs::create_directories(folder.parent_path());
  TemporaryFolder building(folder);
  for (const auto& [name, sha256] : entries) {
    std::error_code error;
    fs::create_hard_link(cache.entry(sha256), building.path() / name, error);
    if (error) fs::copy_file(cache.entry(sha256), building.path() / name);
  }
  verify_release(building.path(), trusted_key, hashed_now);
  building.commit();
  return folder;
}

struct Source {
  std::string where;                      // for messages
  std::string digest;                     // what the source resolved to
  std::map<std::string, Download> files;  // by file name; a web folder's small files are fetched first
};

// The signature a release carries, the current form first; none is not a whole release.
std::optional<std::string> signature_in(const std::map<std::string, std::string>& small,
                                        const std::string& manifest_name) {
  return find_signature(manifest_name, [&](const std::string& name) { return small.contains(name); });
}

PulledRelease pull(Source& source, std::map<std::string, std::string> small, const fs::path& trusted_key,
                   const InputCache& cache, Fetcher& fetcher, const std::string& manifest_name) {
  // 2. The signature, before anything big.
  const std::string manifest_bytes = read_text_file(cache.entry(small.at(manifest_name)));
  const std::string signature = *signature_in(small, manifest_name);
  const std::string signer = check_manifest_signature(manifest_bytes, read_text_file(cache.entry(small.at(signature))),
                                                      trusted_key, source.where, signature);
  const SignedFiles files = signed_files(manifest_bytes, source.where);
  // 3. The image and listing, pinned by the signed manifest.
  PulledRelease release;
  std::map<std::string, std::string> hashed_now;  // downloaded now: the fetcher hashed them against their pins
  for (const auto& [name, sha256] :
       {std::pair{files.listing_file, files.listing_sha256}, std::pair{files.image_file, files.image_sha256}}) {
    auto found = source.files.find(name);
    if (found == source.files.end())
      throw Error(fmt::format("{}: the release lacks {}, which its signed manifest names", source.where, name));
    Download download = found->second;
    if (!download.sha256.empty() && download.sha256 != sha256)
      throw Error(
          fmt::format("{}: layer {} has digest sha256:{}, but the signed manifest says sha256:{}: the "
                      "registry's manifest was altered",
                      source.where, name, download.sha256, sha256));
    if (name == files.image_file) {
      if (download.size && *download.size != files.image_size)
        throw Error(
            fmt::format("{}: layer {} is declared as {} bytes, but the signed manifest says {}: the "
                        "registry's manifest was altered",
                        source.where, name, *download.size, files.image_size));
      download.size = files.image_size;
    }
    download.sha256 = sha256;
    download.pinned_by = "the signed release manifest";
    if (fetcher.fetch(download) == FetchOutcome::downloaded) {
      hashed_now[name] = sha256;
      if (name == files.image_file) release.bytes_downloaded += fs::file_size(cache.entry(sha256));
    }
    small[name] = sha256;
  }
  // 4. The whole folder, verified.
  const std::string manifest_sha256 = sha256_hex(manifest_bytes);
  release.folder = assemble_folder(cache, small, manifest_sha256, trusted_key, hashed_now);
  release.digest = source.digest.empty() ? "sha256:" + manifest_sha256 : source.digest;
  release.manifest_sha256 = manifest_sha256;
  release.appliance = files.appliance;
  release.build_time = files.build_time;
  release.image_sha256 = files.image_sha256;
  release.signing_key = signer;
  return release;
}

PulledRelease pull_from_registry(const OciReference& reference, const fs::path& trusted_key,
                                 const PullSettings& settings, const InputCache& cache, Fetcher& fetcher) {
  RegistryClient client(reference, {{settings.ca},
                                    settings.login,
                                    "set pull.credentials in the launcher configuration, or "
                                    "TRUSTNET_REGISTRY_USERNAME and TRUSTNET_REGISTRY_PASSWORD",
                                    fetcher.options().deadline,
                                    fetcher.options().deadline_name});
  const RegistryManifest manifest = client.get_manifest(reference.manifest_reference(), kOciManifestType);
  const ReleaseArtifact artifact = parse_artifact_manifest(manifest.bytes, reference.text());
  Source source{reference.text(), manifest.digest, {}};
  std::map<std::string, std::string> small;
  std::string manifest_name;
  for (const ReleaseFile& file : artifact.files) {
    Download download{file.name,
                      client.blob_url(file.digest),
                      file.digest.substr(7),
                      "the registry's manifest " + manifest.digest.substr(0, 19),
                      client.authorization_headers(),
                      file.size};
    if (file.name.ends_with(".manifest.json")) manifest_name = file.name;
    // 1. The small files now; the image and listing once the signature is checked.
    if (file.name.ends_with(".manifest.json") || is_signature_name(file.name) || file.name == "SHA256SUMS") {
      if (file.size > kSmallFileLimit)
        throw Error(
            fmt::format("{}: layer {} is {} bytes, too big for what it is", reference.text(), file.name, file.size));
      fetcher.fetch(download);
      small[file.name] = download.sha256;
    } else {
      source.files[file.name] = download;
    }
  }
  if (manifest_name.empty() || !signature_in(small, manifest_name) || !small.contains("SHA256SUMS"))
    throw Error(fmt::format("{}: not a whole release (it needs NAME.manifest.json, its .minisig and SHA256SUMS)",
                            reference.text()));
  return pull(source, small, trusted_key, cache, fetcher, manifest_name);
}

PulledRelease pull_from_web_folder(const std::string& url, const fs::path& trusted_key, const PullSettings& settings,
                                   const InputCache& cache, Fetcher& fetcher) {
  // https://HOST/PATH/NAME/ holds NAME.manifest.json.
  const std::string trimmed = url.substr(0, url.size() - 1);
  const std::string name = trimmed.substr(trimmed.rfind('/') + 1);
  if (name.empty() || !plain_file_name(name))
    throw Error(fmt::format("{}: the web folder's last part names the release (https://HOST/PATH/NAME/)", url),
                ExitCode::bad_input);
  // Over plain HTTP nothing is sent but requests: the signature check makes the bytes safe.
  std::vector<std::string> headers;
  if (url.starts_with("https://"))
    if (const auto& credentials = settings.login) headers.push_back(basic_authorization(*credentials));
  Source source{url, "", {}};
  std::map<std::string, std::string> small;
  const std::string manifest_name = name + ".manifest.json";
  const auto get = [&](const std::string& file) {
    return send_request({.url = url + file,
                         .headers = headers,
                         .max_answer = kSmallFileLimit,
                         .deadline = fetcher.options().deadline,
                         .deadline_name = fetcher.options().deadline_name},
                        {settings.ca});
  };
  const auto keep = [&](const std::string& file, const HttpResponse& answer) {
    if (answer.status != 200)
      throw Error(fmt::format("GET {}{}: HTTP {}{}", url, file, answer.status,
                              answer.status == 401 ? " (a login is needed: set pull.credentials)" : ""));
    small[file] = cache.keep(answer.body);
  };
  keep(manifest_name, get(manifest_name));
  // The signature's current form, else (a release from before it) the older one.
  const std::vector<std::string> signatures = signature_names(manifest_name);
  for (const std::string& signature : signatures) {
    const HttpResponse answer = get(signature);
    if (answer.status == 404 && signature != signatures.back()) continue;
    keep(signature, answer);
    break;
  }
  keep("SHA256SUMS", get("SHA256SUMS"));
  const SignedFiles files = signed_files(read_text_file(cache.entry(small.at(manifest_name))), url);
  source.files[files.image_file] =
      Download{files.image_file, url + files.image_file, "", "the signed release manifest", headers, files.image_size};
  source.files[files.listing_file] =
      Download{files.listing_file, url + files.listing_file, "", "the signed release manifest", headers, kListingLimit};
  return pull(source, small, trusted_key, cache, fetcher, manifest_name);
}

}  // namespace

PulledRelease pull_release(const ReleaseLocation& source, const fs::path& trusted_key, const PullSettings& settings,
                           TransferDisplay& display) {
  const InputCache cache(settings.cache);
  FetchOptions options;
  options.tls.ca_file = settings.ca;
  options.deadline = std::chrono::steady_clock::now() + settings.timeout;
  options.deadline_name = fmt::format("pull.timeout {} s", settings.timeout.count());
  Fetcher fetcher(cache, options, display);
  PulledRelease release;
  try {
    // One backend per kind of source: a new kind does not build until it is pulled or refused here.
    release = std::visit(
        overloaded{
            [&](const OciReference& oci) { return pull_from_registry(oci, trusted_key, settings, cache, fetcher); },
            [&](const WebLocation& web) {
              return pull_from_web_folder(web.url, trusted_key, settings, cache, fetcher);
            },
            [](const FolderLocation&) -> PulledRelease {
              throw Error("a release folder on this host is not pulled: name its image as a path");
            },
        },
        source);
  } catch (Error& e) {
    if (!e.has_context()) e.with_context("pull " + location_text(source));
    throw;
  }
  release.source = location_text(source);
  return release;
}

}  // namespace trustnet::launcher
