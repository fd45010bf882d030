// The folder and web folder backends: a plain copy of the release folder, for sites that serve
// releases from any file or web server. Neither copies a release the destination already holds.
#include <fmt/format.h>
#include <sys/stat.h>

#include "baker/output/push.hpp"
#include "common/transfer/http_request.hpp"
#include "common/transfer/retries.hpp"
#include "common/transfer/url.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/temporary_folder.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

bool folder_holds(const fs::path& target, const ReleaseArtifact& release) {
  if (!fs::is_directory(target)) return false;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(target)) files += entry.is_regular_file() ? 1 : 0;
  if (files != release.files.size()) return false;
  for (const ReleaseFile& file : release.files) {
    const fs::path there = target / file.name;
    if (!fs::is_regular_file(there) || fs::file_size(there) != file.size ||
        "sha256:" + sha256_file(there) != file.digest)
      return false;
  }
  return true;
}

// Basic authentication up front: a PUT streamed from a file cannot be sent again after a 401.
std::vector<std::string> web_headers(const RegistryAccess& access) {
  if (!access.credentials) return {};
  return {basic_authorization(*access.credentials)};
}

// The web folder holds this release already: every file, the image too, has the digest of ours.
// Sizes or dates would not do: an interrupted push of another release of the same size leaves
// the old manifest over new bytes. Reading the image back costs a download, not an upload.
bool web_folder_holds(const std::string& url, const ReleaseArtifact& release, const RegistryAccess& access) {
  for (const ReleaseFile& file : release.files) {
    Sha256 hash;
    const HttpResponse answer =
        send_request({.url = url + url_path_segment(file.name),
                      .headers = web_headers(access),
                      .max_answer = static_cast<size_t>(file.size),
                      .body_sink = [&](const char* data, size_t size) { hash.update(data, size); }},
                     access.tls);
    if (answer.status != 200 || answer.too_long || "sha256:" + hash.hex_digest() != file.digest) return false;
  }
  return true;
}

class FolderTarget final : public PushTarget {
 public:
  FolderTarget(fs::path target, fs::path folder) : target_(std::move(target)), folder_(std::move(folder)) {
    if (fs::exists(target_) && fs::equivalent(target_, folder_))
      throw Error(fmt::format("{} is the release folder itself", target_.string()), ExitCode::bad_input);
  }
  bool has(const ReleaseArtifact& release) override { return folder_holds(target_, release); }
  PushOutcome put(const ReleaseArtifact& release) override {
    const fs::path& folder = folder_;
    PushOutcome outcome;
    fs::create_directories(target_.parent_path());
    TemporaryFolder copy(target_);
    for (const ReleaseFile& file : release.files) {
      // Copied as hashed: what lands is what was checked, even if the folder changes meanwhile.
      if ("sha256:" + copy_file_hashing(folder / file.name, copy.path() / file.name, 0644) != file.digest)
        throw Error(fmt::format("release {}: {} changed while it was copied; push again", folder.string(), file.name));
      ++outcome.sent;
      outcome.bytes_sent += file.size;
    }
    copy.commit();
    return outcome;
  }

 private:
  fs::path target_, folder_;
};

class WebFolderTarget final : public PushTarget {
 public:
  WebFolderTarget(std::string url, fs::path folder, const RegistryAccess& access, TransferDisplay& display)
      : target_url_(std::move(url)), folder_(std::move(folder)), access_(access), display_(display) {}
  bool has(const ReleaseArtifact& release) override {
    return retry_transient([&] { return web_folder_holds(target_url_, release, access_); }, "push to " + target_url_,
                           display_);
  }
  PushOutcome put(const ReleaseArtifact& release) override;

 private:
  std::string target_url_;
  fs::path folder_;
  const RegistryAccess& access_;
  TransferDisplay& display_;
};

PushOutcome WebFolderTarget::put(const ReleaseArtifact& release) {
  const fs::path& folder = folder_;
  const std::string& target_url = target_url_;
  const RegistryAccess& access = access_;
  TransferDisplay& display = display_;
  PushOutcome outcome;
  // WebDAV servers want the folder made first; one that makes it on PUT answers 405 or 409 here.
  send_request({.method = "MKCOL", .url = target_url, .headers = web_headers(access)}, access.tls);
  // The signed files last: a puller that comes meanwhile finds the old signature over a new
  // image, or a new signature over the new image, and refuses the first.
  for (auto file = release.files.rbegin(); file != release.files.rend(); ++file) {
    HttpRequest put{.method = "PUT",
                    .url = target_url + url_path_segment(file->name),
                    .headers = web_headers(access),
                    .upload_file = folder / file->name,
                    .progress = &display};
    retry_transient(
        [&] {
          display.start(file->name, "push");
          const HttpResponse answer = send_request(put, access.tls);
          if (answer.status == 401)
            throw Error(fmt::format("{} requires a login{}", target_url,
                                    access.credentials ? " and refused the credentials given"
                                                       : ", and no credentials were given"),
                        ExitCode::bad_input);
          if (transient_http_status(answer.status))
            throw TransientFailure(fmt::format("PUT {}: HTTP {}", put.url, answer.status));
          if (answer.status != 200 && answer.status != 201 && answer.status != 204)
            throw Error(fmt::format("PUT {}: HTTP {}", put.url, answer.status));
        },
        "push " + file->name, display);
    ++outcome.sent;
    outcome.bytes_sent += file->size;
  }
  return outcome;
}

}  // namespace

std::unique_ptr<PushTarget> folder_target(const fs::path& target, const fs::path& folder) {
  return std::make_unique<FolderTarget>(target, folder);
}

std::unique_ptr<PushTarget> web_folder_target(const std::string& url, const fs::path& folder,
                                              const RegistryAccess& access, TransferDisplay& display) {
  return std::make_unique<WebFolderTarget>(url, folder, access, display);
}

}  // namespace trustnet::baker
