#include "launcher/pull/pull_instances.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/release/release_verification.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/sha256.hpp"
#include "common/util/temporary_folder.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path record_file(const fs::path& state_dir, const std::string& name) { return state_dir / name / "pulled.json"; }

// STATE/NAME/release becomes a copy of the release folder (a real folder of files of its own:
// no hard link to a cache file that something else could rewrite), verified as it is copied and
// renamed into place whole. A QEMU running on the old image keeps its open file, and the old
// release stays in the cache.
void place_release(const fs::path& place, const fs::path& folder, const fs::path& trusted_key) {
  TemporaryFolder copy(place);
  try {
    std::map<std::string, std::string> hashed;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string name = entry.path().filename().string();
      hashed[name] = copy_file_hashing(entry.path(), copy.path() / name, 0644);
    }
    verify_release(copy.path(), trusted_key, hashed);
  } catch (Error& e) {
    e.with_context(fmt::format("the cached release {}", folder.string()));
    throw;
  }
  copy.commit();
}

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace

json pull_record_json(const PullRecord& r) {
  return {{"source", r.source},           {"digest", r.digest},         {"manifest_sha256", r.manifest_sha256},
          {"appliance", r.appliance},     {"build_time", r.build_time}, {"image_sha256", r.image_sha256},
          {"signing_key", r.signing_key}, {"pulled_at", r.pulled_at},   {"folder", r.folder.string()}};
}

std::optional<PullRecord> read_pull_record(const fs::path& state_dir, const std::string& name) {
  const fs::path file = record_file(state_dir, name);
  if (!fs::exists(file)) return std::nullopt;
  try {
    const json j = json::parse(read_text_file(file));
    return PullRecord{j.at("source"),      j.at("digest"),     j.at("manifest_sha256"),
                      j.at("appliance"),   j.at("build_time"), j.at("image_sha256"),
                      j.at("signing_key"), j.at("pulled_at"),  j.at("folder").get<std::string>()};
  } catch (const json::exception& e) {
    throw Error(fmt::format("{} is damaged ({}); run `launch pull` again", file.string(), e.what()));
  }
}

std::vector<InstancePull> pull_instances(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                         bool only_missing, TransferDisplay& display, bool allow_downgrade) {
  std::vector<InstancePull> pulls;
  std::optional<FileLock> lock;  // taken before the first pull: a release replaced under init or start would mix
  for (const InstanceConfig& instance : instances) {
    const std::string& name = instance.identity.name;
    if (!instance.remote) continue;
    const fs::path link = release_link(config.state_dir, name);
    if (only_missing && fs::exists(link)) continue;
    if (!lock) {
      make_private_folder(config.state_dir);
      lock = lock_or_refuse(config.state_dir / ".lock", "launch pull", config.state_dir.string());
    }
    const PulledRelease release = pull_release(*instance.remote, *config.trusted_key, config.pull, display);
    const std::string role = instance.identity.role == Role::node ? "node" : "registry";
    if (release.appliance != role)
      throw Error(fmt::format("{}: {} is a release of {}, but {} is a {} instance", name, release.source,
                              release.appliance, name, role),
                  ExitCode::bad_input);
    InstancePull pull{name,
                      {release.source, release.digest, release.manifest_sha256, release.appliance, release.build_time,
                       release.image_sha256, release.signing_key, utc_now(), release.folder},
                      read_pull_record(config.state_dir, name),
                      release.bytes_downloaded};
    if (pull.previous && !allow_downgrade && pull.record.build_time < pull.previous->build_time)
      throw Error(fmt::format("{}: {} now names a release built {}, before the one {} has (built {}): a downgrade; "
                              "pass --allow-downgrade to take it",
                              name, release.source,
                              pull.record.build_time.empty() ? "at no stated time" : pull.record.build_time, name,
                              pull.previous->build_time),
                  ExitCode::bad_input);
    make_private_folder(link.parent_path());
    place_release(link, release.folder, *config.trusted_key);
    write_file_atomically(record_file(config.state_dir, name), pull_record_json(pull.record).dump(2) + "\n");
    pulls.push_back(std::move(pull));
  }
  return pulls;
}

}  // namespace trustnet::launcher
