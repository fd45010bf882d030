#include "launcher/instance/instance_disk.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<GoldenRecord> origin_in(const fs::path& record) {
  if (!fs::exists(record)) return std::nullopt;
  try {
    const json j = json::parse(read_text_file(record));
    return GoldenRecord{j.at("golden_image").get<std::string>(), j.at("golden_sha256").get<std::string>(), 0};
  } catch (const json::exception& e) {
    throw Error(fmt::format("{} is damaged ({})", record.string(), e.what()));
  }
}

}  // namespace

fs::path system_disk_record(const InstancePaths& paths) { return paths.disk.parent_path() / "disk.json"; }

std::optional<GoldenRecord> system_disk_origin(const InstancePaths& paths) {
  return origin_in(system_disk_record(paths));
}

fs::path previous_folder(const InstancePaths& paths) { return paths.disk.parent_path() / "previous"; }

std::optional<GoldenRecord> set_aside_origin(const InstancePaths& paths) {
  return origin_in(previous_folder(paths) / system_disk_record(paths).filename());
}

namespace {

// What makes up a system disk: the overlay, the golden image it was made from, and the one the
// instance is to run.
std::vector<fs::path> system_disk_files(const InstancePaths& paths) {
  const fs::path folder = paths.disk.parent_path();
  return {paths.disk, system_disk_record(paths), golden_record_file(folder.parent_path(), folder.filename().string())};
}

}  // namespace

void set_aside_system_disk(const InstancePaths& paths) {
  const fs::path previous = previous_folder(paths);
  fs::remove_all(previous);
  make_private_folder(previous);
  for (const fs::path& file : system_disk_files(paths))
    if (fs::exists(file)) fs::rename(file, previous / file.filename());
}

void discard_system_disk(const InstancePaths& paths) {
  fs::remove(paths.disk);
  fs::remove(system_disk_record(paths));
}

void restore_system_disk(const InstancePaths& paths) {
  const fs::path previous = previous_folder(paths);
  if (!fs::exists(previous / paths.disk.filename()))
    throw Error(fmt::format("no system disk was set aside in {}", previous.string()));
  for (const fs::path& file : system_disk_files(paths)) {
    fs::remove(file);
    if (fs::exists(previous / file.filename())) fs::rename(previous / file.filename(), file);
  }
  fs::remove(previous);
}

PreparedDisk prepare_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                   const GoldenRecord& golden, const Firmware& firmware) {
  PreparedDisk prepared;
  for (DiskAction& action : plan_instance_disk(instance, paths, golden, firmware)) {
    if (auto done = carry_out(action, instance, paths)) prepared.done.push_back(std::move(*done));
    prepared.actions.push_back(std::move(action));
  }
  return prepared;
}

}  // namespace trustnet::launcher
