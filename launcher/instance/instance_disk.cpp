#include "launcher/instance/instance_disk.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/release/qemu_image_info.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "common/util/text_values.hpp"
#include "launcher/instance/golden_pin.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

uint64_t virtual_size(const fs::path& image) { return qemu_image_info(image).virtual_size; }

// The golden image a disk was made from, kept beside it: an overlay on a different backing
// image would read as garbage.
fs::path disk_record(const InstancePaths& paths) { return paths.disk.parent_path() / "disk.json"; }

fs::path state_folder_of(const InstancePaths& paths) {
  return fs::absolute(paths.disk.parent_path().parent_path()).lexically_normal();
}

// A disk made before golden images were pinned reads the configured path: when that still holds
// the image the disk was made from, it is pinned and the disk rebased onto the pin (its header
// only; the bytes are the same).
std::string pin_existing_disk(const std::string& name, const InstancePaths& paths, const fs::path& backing,
                              const std::string& sha256) {
  const std::string actual = fs::is_regular_file(backing) ? sha256_file(backing) : "";
  if (actual != sha256)
    throw Error(fmt::format(
        "{}: disk {} reads golden image {}, which {} since the disk was made from it (sha256 "
        "{}); put that image back, or remove the disk to start from the configured image again",
        name, paths.disk.string(), backing.string(),
        actual.empty() ? "is gone" : "has changed (sha256 " + actual.substr(0, 12) + ")", sha256.substr(0, 12)));
  const fs::path pin = pin_golden_image(state_folder_of(paths), {backing, sha256, 0});
  run_checked({"qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", pin.string(), paths.disk.string()});
  return fmt::format("pinned its golden image as {}", pin.string());
}

}  // namespace

std::vector<std::string> overlay_command(const fs::path& golden, const fs::path& disk, uint64_t size) {
  return {"qemu-img",          "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", golden.string(), disk.string(),
          std::to_string(size)};
}

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

std::optional<GoldenRecord> system_disk_origin(const InstancePaths& paths) { return origin_in(disk_record(paths)); }

fs::path previous_folder(const InstancePaths& paths) { return paths.disk.parent_path() / "previous"; }

std::optional<GoldenRecord> set_aside_origin(const InstancePaths& paths) {
  return origin_in(previous_folder(paths) / disk_record(paths).filename());
}

namespace {

// What makes up a system disk: the overlay, the golden image it was made from, and the one the
// instance is to run.
std::vector<fs::path> system_disk_files(const InstancePaths& paths) {
  const fs::path folder = paths.disk.parent_path();
  return {paths.disk, disk_record(paths), golden_record_file(folder.parent_path(), folder.filename().string())};
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
  fs::remove(disk_record(paths));
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

std::vector<std::string> state_disk_command(const fs::path& disk, uint64_t size) {
  return {"qemu-img", "create", "-q", "-f", "qcow2", disk.string(), std::to_string(size)};
}

namespace {

// A blank state disk the first time. Made once: when its record says it was made and it is gone,
// the instance's state went with it, and starting from nothing is the operator's decision.
std::optional<std::string> prepare_state_disk(const InstanceConfig& instance, const InstancePaths& paths) {
  const std::string& name = instance.identity.name;
  if (fs::exists(paths.state_disk)) {
    const uint64_t size = virtual_size(paths.state_disk);
    if (!fs::exists(paths.state_record)) write_file_atomically(paths.state_record, json{{"size", size}}.dump(2) + "\n");
    if (size != instance.state_disk_size)
      return fmt::format("state disk is {} (state_disk {} applies to a new disk only)", format_size(size),
                         format_size(instance.state_disk_size));
    return std::nullopt;
  }
  if (fs::exists(paths.state_record))
    throw Error(fmt::format(
        "{}: its state disk {} is missing, though one was made ({}): it held the instance's state (the chain, the "
        "registry's images). Restore it from a backup; to start {} with empty state instead, remove {} too",
        name, paths.state_disk.string(), paths.state_record.string(), name, paths.state_record.string()));
  TemporaryPath temporary(paths.state_disk);
  run_checked(state_disk_command(temporary.path(), instance.state_disk_size));
  temporary.commit();
  write_file_atomically(paths.state_record, json{{"size", instance.state_disk_size}}.dump(2) + "\n");
  return fmt::format("created state disk {} ({}), which the appliance formats at its first boot",
                     paths.state_disk.string(), format_size(instance.state_disk_size));
}

}  // namespace

std::vector<std::string> prepare_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                               const GoldenRecord& golden, const Firmware& firmware) {
  const std::string& name = instance.identity.name;
  std::vector<std::string> done;
  make_private_folder(paths.disk.parent_path());
  if (fs::exists(paths.disk)) {
    std::optional<GoldenRecord> origin;
    try {
      origin = system_disk_origin(paths);
    } catch (const std::exception&) {  // unreadable or damaged: refused as a missing record is
    }
    if (!origin)
      throw Error(fmt::format("{}: {} has no readable {}; remove the disk to start from the golden image again", name,
                              paths.disk.string(), disk_record(paths).string()));
    const std::string& made_from = origin->sha256;
    if (made_from != golden.sha256)
      throw Error(fmt::format(
          "{}: disk {} was made from golden image {}, not the recorded {}; `launch upgrade {}` replaces it with one "
          "made from the configured image and keeps the state disk",
          name, paths.disk.string(), made_from.substr(0, 12), golden.sha256.substr(0, 12), name));
    const QemuImageInfo info = qemu_image_info(paths.disk, "qcow2");
    const fs::path pin = pin_path(state_folder_of(paths), made_from);
    if (info.backing_file && fs::path(*info.backing_file) == pin)
      check_pin(pin, made_from);
    else if (info.backing_file)
      done.push_back(pin_existing_disk(name, paths, *info.backing_file, made_from));
    else
      throw Error(fmt::format("{}: disk {} has no backing file; remove it to start from the golden image again", name,
                              paths.disk.string()));
    if (info.virtual_size < instance.disk_size) {
      run_checked({"qemu-img", "resize", "-f", "qcow2", paths.disk.string(), std::to_string(instance.disk_size)});
      done.push_back(fmt::format("grew disk to {}", format_size(instance.disk_size)));
    }
  } else {
    const fs::path pin = pin_golden_image(state_folder_of(paths), golden);
    const uint64_t golden_size = virtual_size(pin);
    if (instance.disk_size < golden_size)
      throw Error(instance.where, fmt::format("disk {} of {} is smaller than its golden image ({})",
                                              format_size(instance.disk_size), name, format_size(golden_size)));
    TemporaryPath temporary(paths.disk);
    run_checked(overlay_command(pin, temporary.path(), instance.disk_size));
    write_file_atomically(
        disk_record(paths),
        json{{"golden_sha256", golden.sha256}, {"golden_image", golden.image.string()}}.dump(2) + "\n");
    temporary.commit();
    done.push_back(fmt::format("created disk {} ({}) on {}, pinned as {}", paths.disk.string(),
                               format_size(instance.disk_size), golden.image.string(), pin.string()));
  }
  if (auto state = prepare_state_disk(instance, paths)) done.push_back(*state);
  if (instance.boot == BootMode::uefi && !fs::exists(paths.efi_vars)) {
    if (!fs::is_regular_file(firmware.vars_template))
      throw Error(
          fmt::format("UEFI variable store {} is missing; install qemu-efi-aarch64", firmware.vars_template.string()));
    TemporaryPath temporary(paths.efi_vars);
    fs::copy_file(firmware.vars_template, temporary.path(), fs::copy_options::overwrite_existing);
    temporary.commit();
    done.push_back("copied the UEFI variable store");
  }
  return done;
}

}  // namespace trustnet::launcher
