#include "common/transfer/registry_client.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/transfer/retries.hpp"
#include "common/transfer/url.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {
using nlohmann::json;

namespace {

// The registry's reasons: {"errors":[{"code":…,"message":…}]}, else the status alone.
std::string registry_reason(const HttpResponse& response) {
  try {
    const json body = json::parse(response.body);
    std::string reasons;
    for (const json& error : body.at("errors")) {
      if (!reasons.empty()) reasons += "; ";
      reasons += error.value("code", "") + ": " + error.value("message", "");
      if (error.contains("detail") && !error["detail"].is_null()) reasons += " (" + error["detail"].dump() + ")";
    }
    if (!reasons.empty()) return fmt::format("HTTP {}, {}", response.status, printable(reasons.substr(0, 400)));
  } catch (const json::exception&) {
  }
  return fmt::format("HTTP {}", response.status);
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

std::string url_escape(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '/')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

RegistryClient::RegistryClient(OciReference reference, RegistryAccess access)
    : reference_(std::move(reference)), access_(std::move(access)) {}

std::string RegistryClient::blob_url(const std::string& digest) const {
  return reference_.base_url() + "/blobs/" + digest;
}

std::vector<std::string> RegistryClient::authorization_headers() const {
  if (authorization_.empty()) return {};
  return {authorization_};
}

void RegistryClient::refuse(const HttpRequest& request, const HttpResponse& response, const std::string& doing) const {
  if (response.status == 401) {
    if (!access_.credentials)
      throw Error(fmt::format("registry {} requires a login to {} {}, and no credentials were given{}", reference_.host,
                              doing, reference_.repository,
                              access_.credentials_hint.empty() ? "" : " (" + access_.credentials_hint + ")"),
                  ExitCode::bad_input);
    throw Error(fmt::format("registry {} refused the credentials of {} ({})", reference_.host,
                            printable(access_.credentials->username), registry_reason(response)),
                ExitCode::bad_input);
  }
  if (response.status == 403)
    throw Error(fmt::format("registry {} does not allow {} to {} {} ({})", reference_.host,
                            access_.credentials ? printable(access_.credentials->username) : "anonymous users", doing,
                            reference_.repository, registry_reason(response)));
  const size_t path = request.url.find("/v2/");
  const std::string message = fmt::format("registry {}: {} {} failed ({})", reference_.host, request.method,
                                          printable(path == std::string::npos ? request.url : request.url.substr(path)),
                                          registry_reason(response));
  if (transient_http_status(response.status)) throw TransientFailure(message);
  throw Error(message);
}

void RegistryClient::authenticate(const HttpResponse& refusal) {
  const auto challenge = parse_auth_challenge(refusal.header("www-authenticate"));
  if (!challenge)
    throw Error(
        fmt::format("registry {} asks for a login without a usable WWW-Authenticate challenge", reference_.host));
  if (challenge->scheme == "basic") {
    if (!access_.credentials) return;  // refuse() says what is missing
    authorization_ = basic_authorization(*access_.credentials);
    return;
  }
  if (challenge->scheme != "bearer")
    throw Error(fmt::format("registry {} asks for {} authentication; only Basic and Bearer are supported",
                            reference_.host, printable(challenge->scheme)));
  // A token from the realm the registry names, for the scope it names. The challenge came over
  // TLS from the registry itself, so the realm speaks for it; but the credentials (and the token
  // that stands for them) travel only over HTTPS, whoever names the realm.
  auto realm = challenge->params.find("realm");
  if (realm == challenge->params.end() || !url_origin(realm->second))
    throw Error(fmt::format("registry {} names no usable token realm", reference_.host));
  if (!is_https_url(realm->second))
    throw Error(fmt::format("registry {} names the token realm {}, which is not HTTPS: refused, credentials and "
                            "tokens travel only over TLS",
                            reference_.host, printable(realm->second.substr(0, 200))),
                ExitCode::bad_input);
  std::string url = realm->second;
  for (const char* name : {"service", "scope"})
    if (auto found = challenge->params.find(name); found != challenge->params.end())
      url = with_query(url, fmt::format("{}={}", name, url_escape(found->second)));
  HttpRequest token_request{
      .url = url, .max_answer = 64 << 10, .deadline = access_.deadline, .deadline_name = access_.deadline_name};
  if (access_.credentials) token_request.headers.push_back(basic_authorization(*access_.credentials));
  const HttpResponse answer = send_request(token_request, access_.tls);
  const std::string realm_text = printable(realm->second.substr(0, 200));
  if (answer.status != 200) {
    if (answer.status == 401 && access_.credentials)
      throw Error(fmt::format("the token service of registry {} refused the credentials of {} (HTTP 401)",
                              reference_.host, printable(access_.credentials->username)),
                  ExitCode::bad_input);
    if (answer.status == 401) refuse(token_request, answer, "get a token for");
    const std::string message = fmt::format("the token service of registry {} answered HTTP {} at {}", reference_.host,
                                            answer.status, realm_text);
    if (transient_http_status(answer.status)) throw TransientFailure(message);
    throw Error(message);
  }
  const auto token = parse_token_response(answer.body);
  if (!token)
    throw Error(fmt::format("the token service of registry {} at {} answered without a usable token", reference_.host,
                            realm_text));
  authorization_ = "Authorization: Bearer " + *token;
}

HttpResponse RegistryClient::send(HttpRequest request) {
  request.deadline = access_.deadline;
  request.deadline_name = access_.deadline_name;
  std::vector<std::string> plain_headers = request.headers;
  if (!authorization_.empty()) request.headers.push_back(authorization_);
  HttpResponse response = send_request(request, access_.tls);
  if (response.status != 401) return response;
  const std::string before = authorization_;
  authenticate(response);
  if (authorization_.empty() || authorization_ == before) return response;
  request.headers = plain_headers;
  request.headers.push_back(authorization_);
  return send_request(request, access_.tls);
}

bool RegistryClient::has_blob(const std::string& digest) {
  const HttpRequest request{.method = "HEAD", .url = blob_url(digest)};
  const HttpResponse response = send(request);
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  refuse(request, response, "read");
}

void RegistryClient::upload_blob(const std::filesystem::path& file, const std::string& digest,
                                 TransferDisplay* progress) {
  upload({.headers = {}, .upload_file = file, .progress = progress}, digest, file.filename().string());
}

void RegistryClient::upload_blob(const std::string& bytes, const std::string& digest) {
  upload({.body = bytes}, digest, digest);
}

void RegistryClient::upload(HttpRequest put, const std::string& digest, const std::string& what) {
  const HttpRequest start{.method = "POST", .url = reference_.base_url() + "/blobs/uploads/"};
  const HttpResponse opened = send(start);
  if (opened.status != 202 || opened.header("location").empty()) refuse(start, opened, "push to");
  // The upload goes to the registry itself: a Location elsewhere (another host, port or scheme)
  // would take the blob and the credentials with it.
  const std::string location = opened.header("location");
  const auto target = resolve_location(start.url, location);
  if (!target || url_origin(*target) != url_origin(start.url))
    throw Error(
        fmt::format("registry {} sent the upload of {} to {}, outside {}: refused, blobs and credentials go "
                    "to the registry only",
                    reference_.host, what, printable(location.substr(0, 200)), *url_origin(start.url)));
  put.method = "PUT";
  put.url = with_query(*target, "digest=" + digest);
  put.headers = {"Content-Type: application/octet-stream"};
  const HttpResponse stored = send(put);
  if (stored.status != 201) refuse(put, stored, "push to");
  const std::string said = stored.header("docker-content-digest");
  if (!said.empty() && said != digest)
    throw Error(fmt::format("registry {} stored {} as {}", reference_.host, what, said));
}

std::optional<std::string> RegistryClient::manifest_digest(const std::string& reference) {
  const HttpRequest request{.method = "HEAD",
                            .url = reference_.base_url() + "/manifests/" + reference,
                            .headers = {std::string("Accept: ") + "application/vnd.oci.image.manifest.v1+json"}};
  const HttpResponse response = send(request);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) refuse(request, response, "read");
  const std::string digest = response.header("docker-content-digest");
  if (digest.empty()) return std::nullopt;  // cannot tell: the caller puts the manifest
  return digest;
}

std::string RegistryClient::put_manifest(const std::string& bytes, const std::string& media_type,
                                         const std::string& tag) {
  const HttpRequest request{.method = "PUT",
                            .url = reference_.base_url() + "/manifests/" + tag,
                            .headers = {"Content-Type: " + media_type},
                            .body = bytes};
  const HttpResponse response = send(request);
  if (response.status != 201) refuse(request, response, "push to");
  const std::string digest = "sha256:" + sha256_hex(bytes);
  const std::string said = response.header("docker-content-digest");
  if (!said.empty() && said != digest)
    throw Error(fmt::format("registry {} stored the manifest as {}, not {}", reference_.host, said, digest));
  return digest;
}

RegistryManifest RegistryClient::get_manifest(const std::string& reference, const std::string& accept) {
  const HttpRequest request{
      .method = "GET", .url = reference_.base_url() + "/manifests/" + reference, .headers = {"Accept: " + accept}};
  const HttpResponse response = send(request);
  if (response.status == 404)
    throw Error(fmt::format("registry {} has no {} in {}", reference_.host,
                            reference.starts_with("sha256:") ? "manifest " + reference : "tag " + reference,
                            reference_.repository),
                ExitCode::bad_input);
  if (response.status != 200) refuse(request, response, "read");
  RegistryManifest manifest{response.body, "sha256:" + sha256_hex(response.body), response.header("content-type")};
  if (reference.starts_with("sha256:") && manifest.digest != reference)
    throw Error(fmt::format("registry {} answered {} with a manifest whose digest is {}", reference_.host, reference,
                            manifest.digest));
  return manifest;
}

}  // namespace trustnet
