#include "launcher/instance/disk_actions.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/release/qemu_image_info.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"
#include "launcher/instance/golden_pin.hpp"
#include "launcher/instance/instance_disk.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;
using Kind = DiskAction::Kind;

std::vector<std::string> overlay_command(const fs::path& golden, const fs::path& disk, uint64_t size) {
  return {"qemu-img",          "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", golden.string(), disk.string(),
          std::to_string(size)};
}

std::vector<std::string> state_disk_command(const fs::path& disk, uint64_t size) {
  return {"qemu-img", "create", "-q", "-f", "qcow2", disk.string(), std::to_string(size)};
}

std::vector<std::string> grow_command(const fs::path& disk, uint64_t size) {
  return {"qemu-img", "resize", "-q", "-f", "qcow2", disk.string(), std::to_string(size)};
}

namespace {

fs::path state_folder_of(const InstancePaths& paths) {
  return fs::absolute(paths.disk.parent_path().parent_path()).lexically_normal();
}

}  // namespace

std::vector<DiskAction> plan_new_system_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                             const GoldenRecord& golden) {
  const fs::path pin = pin_path(state_folder_of(paths), golden.sha256);
  const fs::path sized = fs::exists(pin) ? pin : golden.image;
  if (fs::exists(sized)) {
    const uint64_t golden_size = qemu_image_info(sized).virtual_size;
    if (instance.disk_size < golden_size)
      throw Error(instance.where,
                  fmt::format("disk {} of {} is smaller than its golden image ({})", format_size(instance.disk_size),
                              instance.identity.name, format_size(golden_size)));
  }
  const Kind pin_step = fs::exists(pin) ? Kind::check_pin : Kind::pin_image;
  return {{pin_step, pin, golden.image, 0, golden.sha256},
          {Kind::make_overlay, paths.disk, pin, instance.disk_size, golden.sha256, golden.image}};
}

namespace {

// The system disk: made on the pin of `golden`, or the one there, checked to be made from it.
void plan_system_disk(const InstanceConfig& instance, const InstancePaths& paths, const GoldenRecord& golden,
                      std::vector<DiskAction>& actions) {
  const std::string& name = instance.identity.name;
  if (!fs::exists(paths.disk)) {
    for (DiskAction& action : plan_new_system_disk(instance, paths, golden)) actions.push_back(std::move(action));
    return;
  }
  std::optional<GoldenRecord> origin;
  try {
    origin = system_disk_origin(paths);
  } catch (const std::exception&) {  // unreadable or damaged: refused as a missing record is
  }
  if (!origin)
    throw Error(fmt::format("{}: {} has no readable {}; remove the disk to start from the golden image again", name,
                            paths.disk.string(), system_disk_record(paths).string()));
  const std::string& made_from = origin->sha256;
  if (made_from != golden.sha256)
    throw Error(fmt::format(
        "{}: disk {} was made from golden image {}, not the recorded {}; `launch upgrade {}` replaces it with one "
        "made from the configured image and keeps the state disk",
        name, paths.disk.string(), made_from.substr(0, 12), golden.sha256.substr(0, 12), name));
  const QemuImageInfo info = qemu_image_info(paths.disk, "qcow2");
  const fs::path pin = pin_path(state_folder_of(paths), made_from);
  if (info.backing_file && fs::path(*info.backing_file) == pin)
    actions.push_back({Kind::check_pin, pin, pin, 0, made_from});
  else if (info.backing_file)
    actions.push_back({Kind::pin_existing_disk, paths.disk, *info.backing_file, 0, made_from});
  else
    throw Error(fmt::format("{}: disk {} has no backing file; remove it to start from the golden image again", name,
                            paths.disk.string()));
  if (info.virtual_size < instance.disk_size) actions.push_back({Kind::grow_disk, paths.disk, {}, instance.disk_size});
}

// A blank state disk the first time. Made once: when its record says it was made and it is gone,
// the instance's state went with it, and starting from nothing is the operator's decision.
void plan_state_disk(const InstanceConfig& instance, const InstancePaths& paths, std::vector<DiskAction>& actions) {
  const std::string& name = instance.identity.name;
  if (fs::exists(paths.state_disk)) {
    const uint64_t size = qemu_image_info(paths.state_disk).virtual_size;
    if (!fs::exists(paths.state_record)) actions.push_back({Kind::record_state_disk, paths.state_record, {}, size});
    if (size != instance.state_disk_size) {
      DiskAction note{Kind::note, paths.state_disk};
      note.text = fmt::format("state disk is {} (state_disk {} applies to a new disk only)", format_size(size),
                              format_size(instance.state_disk_size));
      actions.push_back(std::move(note));
    }
    return;
  }
  if (fs::exists(paths.state_record))
    throw Error(fmt::format(
        "{}: its state disk {} is missing, though one was made ({}): it held the instance's state (the chain, the "
        "registry's images). Restore it from a backup; to start {} with empty state instead, remove {} too",
        name, paths.state_disk.string(), paths.state_record.string(), name, paths.state_record.string()));
  actions.push_back({Kind::make_state_disk, paths.state_disk, {}, instance.state_disk_size});
}

}  // namespace

std::vector<DiskAction> plan_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                           const GoldenRecord& golden, const Firmware& firmware) {
  std::vector<DiskAction> actions;
  const fs::path folder = paths.disk.parent_path();
  if (fs::exists(folder))
    check_private_tree(folder);
  else
    actions.push_back({Kind::make_folder, folder});
  plan_system_disk(instance, paths, golden, actions);
  plan_state_disk(instance, paths, actions);
  if (instance.boot == BootMode::uefi && !fs::exists(paths.efi_vars)) {
    if (!fs::is_regular_file(firmware.vars_template))
      throw Error(
          fmt::format("UEFI variable store {} is missing; install qemu-efi-aarch64", firmware.vars_template.string()));
    actions.push_back({Kind::copy_efi_vars, paths.efi_vars, firmware.vars_template});
  }
  return actions;
}

std::string describe_action(const DiskAction& a, const std::string& name) {
  switch (a.kind) {
    case Kind::make_folder: return fmt::format("# {}: make {}, 0700", name, a.target.string());
    case Kind::check_pin: return fmt::format("# {}: check that {} still hashes to its name", name, a.target.string());
    case Kind::pin_image:
      return fmt::format("# {}: pin a copy of {} as {}, hashed as it is copied", name, a.source.string(),
                         a.target.string());
    case Kind::pin_existing_disk:
      return fmt::format("# {}: pin a copy of {}, which disk {} was made on, and rebase the disk onto it", name,
                         a.source.string(), a.target.string());
    case Kind::make_overlay: return command_line(overlay_command(a.source, a.target, a.size));
    case Kind::grow_disk: return command_line(grow_command(a.target, a.size));
    case Kind::make_state_disk: return command_line(state_disk_command(a.target, a.size));
    case Kind::record_state_disk:
      return fmt::format("# {}: record the state disk's size ({}) in {}", name, format_size(a.size), a.target.string());
    case Kind::note: return fmt::format("# {}: {}", name, a.text);
    case Kind::copy_efi_vars: return command_line({"cp", a.source.string(), a.target.string()});
  }
  return {};
}

std::optional<std::string> carry_out(const DiskAction& a, const InstanceConfig& instance, const InstancePaths& paths) {
  const std::string& name = instance.identity.name;
  switch (a.kind) {
    case Kind::make_folder: make_private_folder(a.target); return std::nullopt;
    case Kind::check_pin: check_pin(a.target, a.sha256); return std::nullopt;
    case Kind::pin_image: pin_golden_image(state_folder_of(paths), {a.source, a.sha256, 0}); return std::nullopt;
    case Kind::pin_existing_disk: {
      // The disk reads the configured path: only while that still holds the image the disk was
      // made from is it pinned and the disk rebased onto the pin (its header only; the bytes are the same).
      const std::string actual = fs::is_regular_file(a.source) ? sha256_file(a.source) : "";
      if (actual != a.sha256)
        throw Error(fmt::format(
            "{}: disk {} reads golden image {}, which {} since the disk was made from it (sha256 "
            "{}); put that image back, or remove the disk to start from the configured image again",
            name, a.target.string(), a.source.string(),
            actual.empty() ? "is gone" : "has changed (sha256 " + actual.substr(0, 12) + ")", a.sha256.substr(0, 12)));
      const fs::path pin = pin_golden_image(state_folder_of(paths), {a.source, a.sha256, 0});
      run_checked({"qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", pin.string(), a.target.string()});
      return fmt::format("pinned its golden image as {}", pin.string());
    }
    case Kind::make_overlay: {
      TemporaryPath temporary(a.target);
      run_checked(overlay_command(a.source, temporary.path(), a.size));
      write_file_atomically(
          system_disk_record(paths),
          json{{"golden_sha256", a.sha256}, {"golden_image", a.golden_image.string()}}.dump(2) + "\n");
      temporary.commit();
      return fmt::format("created disk {} ({}) on {}, pinned as {}", a.target.string(), format_size(a.size),
                         a.golden_image.string(), a.source.string());
    }
    case Kind::grow_disk:
      run_checked(grow_command(a.target, a.size));
      return fmt::format("grew disk to {}", format_size(a.size));
    case Kind::make_state_disk: {
      TemporaryPath temporary(a.target);
      run_checked(state_disk_command(temporary.path(), a.size));
      temporary.commit();
      write_file_atomically(paths.state_record, json{{"size", a.size}}.dump(2) + "\n");
      return fmt::format("created state disk {} ({}), which the appliance formats at its first boot", a.target.string(),
                         format_size(a.size));
    }
    case Kind::record_state_disk:
      write_file_atomically(a.target, json{{"size", a.size}}.dump(2) + "\n");
      return std::nullopt;
    case Kind::note: return a.text;
    case Kind::copy_efi_vars: {
      TemporaryPath temporary(a.target);
      fs::copy_file(a.source, temporary.path(), fs::copy_options::overwrite_existing);
      temporary.commit();
      return "copied the UEFI variable store";
    }
  }
  return std::nullopt;
}

}  // namespace trustnet::launcher
