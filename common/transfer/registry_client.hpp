#pragma once
// A client of the OCI distribution API (distribution-spec 1.1) for one repository: blobs are
// looked for with HEAD before they are sent, sent with one streamed PUT after a POST opens the
// upload, and manifests are put and got by tag or digest. Authentication follows the registry's
// challenge: Basic with the credentials, or a Bearer token from the realm it names. Every answer
// the registry refuses becomes an Error naming the registry, the repository and its reason.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/transfer/http_request.hpp"
#include "common/transfer/oci_reference.hpp"
#include "common/transfer/registry_credentials.hpp"

namespace trustnet {

struct RegistryAccess {
  TlsOptions tls;
  std::optional<RegistryCredentials> credentials;
  std::string credentials_hint;  // how the user gives credentials, for the message when none were
  // Every request to the registry and its token service ends there (HttpRequest::deadline).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string deadline_name;
};

struct RegistryManifest {
  std::string bytes, digest, media_type;
};

class RegistryClient {
 public:
  RegistryClient(OciReference reference, RegistryAccess access);

  const OciReference& reference() const { return reference_; }
  bool has_blob(const std::string& digest);
  void upload_blob(const std::filesystem::path& file, const std::string& digest, TransferDisplay* progress);
  void upload_blob(const std::string& bytes, const std::string& digest);
  // The digest the registry holds under `reference` (a tag or digest), or nothing.
  std::optional<std::string> manifest_digest(const std::string& reference);
  // Returns the digest the registry gave it, checked against the bytes.
  std::string put_manifest(const std::string& bytes, const std::string& media_type, const std::string& tag);
  // The manifest's bytes, checked against the digest when `reference` is one.
  RegistryManifest get_manifest(const std::string& reference, const std::string& accept);

  std::string blob_url(const std::string& digest) const;
  // The headers that authenticate a request made elsewhere (the fetcher's blob downloads).
  std::vector<std::string> authorization_headers() const;

 private:
  // Sends with the current authorization; on 401 answers the challenge once and sends again.
  HttpResponse send(HttpRequest request);
  void authenticate(const HttpResponse& refusal);
  // POST opens an upload, then `put` (its body a file or bytes) is sent to it with `digest`.
  void upload(HttpRequest put, const std::string& digest, const std::string& what);
  [[noreturn]] void refuse(const HttpRequest& request, const HttpResponse& response, const std::string& doing) const;

  OciReference reference_;
  RegistryAccess access_;
  std::string authorization_;  // "Authorization: …" once a challenge was answered
};

}  // namespace trustnet
