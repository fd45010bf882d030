#pragma once
// A client of the distribution registry's HTTP API for the tests, through curl with the TrustNet
// CA: plain requests, and a push of blobs and a manifest as `docker push` makes them. `wrapper`
// runs curl elsewhere (inside a network namespace: {"ip", "netns", "exec", NAME}).
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "temp_dir.hpp"

namespace trustnet::test {

inline std::string digest_of(const std::string& bytes) { return "sha256:" + sha256_hex(bytes); }

class RegistryClient {
 public:
  inline static const std::string kManifestType = "application/vnd.docker.distribution.manifest.v2+json";

  RegistryClient(std::string base_url, std::filesystem::path ca_file, std::vector<std::string> wrapper = {})
      : base_(std::move(base_url)), ca_file_(std::move(ca_file)), wrapper_(std::move(wrapper)) {}

  std::string url(const std::string& path) const { return base_ + path; }

  // curl with the TrustNet CA; the status code is printed last.
  ProcessResult curl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = wrapper_;
    argv.insert(argv.end(), {"curl", "-sS", "--cacert", ca_file_.string(), "-w", "\n%{http_code}"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }
  static std::string status(const ProcessResult& r) { return r.out.substr(r.out.rfind('\n') + 1); }
  static std::string body(const ProcessResult& r) { return r.out.substr(0, r.out.rfind('\n')); }
  std::string status_of(const std::vector<std::string>& args) const { return status(curl(args)); }

  // Uploads one blob (POST, then PUT with its digest); returns the PUT's status ("201").
  std::string push_blob(const std::string& user, const std::string& repository, const std::string& blob) const {
    ProcessResult start = curl({"-u", user, "-X", "POST", "-D", "-", url("/v2/" + repository + "/blobs/uploads/")});
    if (status(start) != "202") return status(start);
    std::string headers = start.out;  // HTTP/2 names headers in lower case
    for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = headers.find("\nlocation: ");
    if (at == std::string::npos) return "no Location header";
    std::string location = start.out.substr(at + 11, start.out.find('\r', at) - at - 11);
    if (location.starts_with("/")) location = url(location);
    location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest_of(blob);
    const auto body_file = scratch_.write("blob", blob);
    return status(curl({"-u", user, "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary",
                        "@" + body_file.string(), location}));
  }

  // An image manifest naming `config` and one `layer`, as the registry stores it byte for byte.
  static std::string manifest(const std::string& config, const std::string& layer) {
    return fmt::format(
        R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{}"}}]}})",
        kManifestType, config.size(), digest_of(config), layer.size(), digest_of(layer));
  }

  std::string put_manifest(const std::string& user, const std::string& repository, const std::string& tag,
                           const std::string& text) const {
    const auto file = scratch_.write("manifest.json", text);
    return status(curl({"-u", user, "-X", "PUT", "-H", "Content-Type: " + kManifestType, "--data-binary",
                        "@" + file.string(), url("/v2/" + repository + "/manifests/" + tag)}));
  }
  ProcessResult get_manifest(const std::string& user, const std::string& repository,
                             const std::string& reference) const {
    return curl({"-u", user, "-H", "Accept: " + kManifestType, url("/v2/" + repository + "/manifests/" + reference)});
  }
  ProcessResult get_blob(const std::string& user, const std::string& repository, const std::string& bytes) const {
    return curl({"-u", user, "-L", url("/v2/" + repository + "/blobs/" + digest_of(bytes))});
  }

 private:
  std::string base_;
  std::filesystem::path ca_file_;
  std::vector<std::string> wrapper_;
  TempDir scratch_;
};

}  // namespace trustnet::test
