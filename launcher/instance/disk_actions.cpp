#include "launcher/instance/disk_actions.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/release/qemu_image_info.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/overloaded.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"
#include "launcher/instance/golden_pin.hpp"
#include "launcher/instance/instance_disk.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace disk_step;

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
  const DiskAction pin_step = fs::exists(pin) ? DiskAction{CheckPin{pin, golden.sha256}}
                                              : DiskAction{PinImage{golden.image, pin, golden.sha256}};
  return {pin_step, MakeOverlay{paths.disk, pin, instance.disk_size, golden.sha256, golden.image}};
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
    actions.push_back(CheckPin{pin, made_from});
  else if (info.backing_file)
    actions.push_back(PinExistingDisk{paths.disk, *info.backing_file, made_from});
  else
    throw Error(fmt::format("{}: disk {} has no backing file; remove it to start from the golden image again", name,
                            paths.disk.string()));
  if (info.virtual_size < instance.disk_size) actions.push_back(GrowDisk{paths.disk, instance.disk_size});
}

// A blank state disk the first time. Made once: when its record says it was made and it is gone,
// the instance's state went with it, and starting from nothing is the operator's decision.
void plan_state_disk(const InstanceConfig& instance, const InstancePaths& paths, std::vector<DiskAction>& actions) {
  const std::string& name = instance.identity.name;
  if (fs::exists(paths.state_disk)) {
    const uint64_t size = qemu_image_info(paths.state_disk).virtual_size;
    if (!fs::exists(paths.state_record)) actions.push_back(RecordStateDisk{paths.state_record, size});
    if (size != instance.state_disk_size)
      actions.push_back(Note{fmt::format("state disk is {} (state_disk {} applies to a new disk only)",
                                         format_size(size), format_size(instance.state_disk_size))});
    return;
  }
  if (fs::exists(paths.state_record))
    throw Error(fmt::format(
        "{}: its state disk {} is missing, though one was made ({}): it held the instance's state (the chain, the "
        "registry's images). Restore it from a backup; to start {} with empty state instead, remove {} too",
        name, paths.state_disk.string(), paths.state_record.string(), name, paths.state_record.string()));
  actions.push_back(MakeStateDisk{paths.state_disk, instance.state_disk_size});
}

}  // namespace

std::vector<DiskAction> plan_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                           const GoldenRecord& golden, const Firmware& firmware) {
  std::vector<DiskAction> actions;
  const fs::path folder = paths.disk.parent_path();
  if (fs::exists(folder))
    check_private_tree(folder);
  else
    actions.push_back(MakeFolder{folder});
  plan_system_disk(instance, paths, golden, actions);
  plan_state_disk(instance, paths, actions);
  if (instance.boot == BootMode::uefi && !fs::exists(paths.efi_vars)) {
    if (!fs::is_regular_file(firmware.vars_template))
      throw Error(
          fmt::format("UEFI variable store {} is missing; install qemu-efi-aarch64", firmware.vars_template.string()));
    actions.push_back(CopyEfiVars{firmware.vars_template, paths.efi_vars});
  }
  return actions;
}

std::string describe_action(const DiskAction& action, const std::string& name) {
  return std::visit(
      overloaded{
          [&](const MakeFolder& a) { return fmt::format("# {}: make {}, 0700", name, a.folder.string()); },
          [&](const CheckPin& a) {
            return fmt::format("# {}: check that {} still hashes to its name", name, a.pin.string());
          },
          [&](const PinImage& a) {
            return fmt::format("# {}: pin a copy of {} as {}, hashed as it is copied", name, a.image.string(),
                               a.pin.string());
          },
          [&](const PinExistingDisk& a) {
            return fmt::format("# {}: pin a copy of {}, which disk {} was made on, and rebase the disk onto it", name,
                               a.backing.string(), a.disk.string());
          },
          [&](const MakeOverlay& a) { return command_line(overlay_command(a.pin, a.disk, a.size)); },
          [&](const GrowDisk& a) { return command_line(grow_command(a.disk, a.size)); },
          [&](const MakeStateDisk& a) { return command_line(state_disk_command(a.disk, a.size)); },
          [&](const RecordStateDisk& a) {
            return fmt::format("# {}: record the state disk's size ({}) in {}", name, format_size(a.size),
                               a.record.string());
          },
          [&](const Note& a) { return fmt::format("# {}: {}", name, a.text); },
          [&](const CopyEfiVars& a) {
            return command_line({"cp", a.template_file.string(), a.vars.string()});
          },
      },
      action);
}

std::optional<std::string> carry_out(const DiskAction& action, const InstanceConfig& instance,
                                     const InstancePaths& paths) {
  const std::string& name = instance.identity.name;
  using Done = std::optional<std::string>;
  return std::visit(
      overloaded{
          [&](const MakeFolder& a) -> Done {
            make_private_folder(a.folder);
            return std::nullopt;
          },
          [&](const CheckPin& a) -> Done {
            check_pin(a.pin, a.sha256);
            return std::nullopt;
          },
          [&](const PinImage& a) -> Done {
            pin_golden_image(state_folder_of(paths), {a.image, a.sha256, 0});
            return std::nullopt;
          },
          [&](const PinExistingDisk& a) -> Done {
            // The disk reads the configured path: only while that still holds the image the disk was
            // made from is it pinned and the disk rebased onto the pin (its header only; the bytes are
            // the same).
            const std::string actual = fs::is_regular_file(a.backing) ? sha256_file(a.backing) : "";
            if (actual != a.sha256)
              throw Error(
                  fmt::format("{}: disk {} reads golden image {}, which {} since the disk was made from it (sha256 "
                              "{}); put that image back, or remove the disk to start from the configured image again",
                              name, a.disk.string(), a.backing.string(),
                              actual.empty() ? "is gone" : "has changed (sha256 " + actual.substr(0, 12) + ")",
                              a.sha256.substr(0, 12)));
            const fs::path pin = pin_golden_image(state_folder_of(paths), {a.backing, a.sha256, 0});
            run_checked(
                {"qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", pin.string(), a.disk.string()});
            return fmt::format("pinned its golden image as {}", pin.string());
          },
          [&](const MakeOverlay& a) -> Done {
            TemporaryPath temporary(a.disk);
            run_checked(overlay_command(a.pin, temporary.path(), a.size));
            write_file_atomically(
                system_disk_record(paths),
                json{{"golden_sha256", a.sha256}, {"golden_image", a.golden_image.string()}}.dump(2) + "\n");
            temporary.commit();
            return fmt::format("created disk {} ({}) on {}, pinned as {}", a.disk.string(), format_size(a.size),
                               a.golden_image.string(), a.pin.string());
          },
          [&](const GrowDisk& a) -> Done {
            run_checked(grow_command(a.disk, a.size));
            return fmt::format("grew disk to {}", format_size(a.size));
          },
          [&](const MakeStateDisk& a) -> Done {
            TemporaryPath temporary(a.disk);
            run_checked(state_disk_command(temporary.path(), a.size));
            temporary.commit();
            write_file_atomically(paths.state_record, json{{"size", a.size}}.dump(2) + "\n");
            return fmt::format("created state disk {} ({}), which the appliance formats at its first boot",
                               a.disk.string(), format_size(a.size));
          },
          [&](const RecordStateDisk& a) -> Done {
            write_file_atomically(a.record, json{{"size", a.size}}.dump(2) + "\n");
            return std::nullopt;
          },
          [&](const Note& a) -> Done { return a.text; },
          [&](const CopyEfiVars& a) -> Done {
            TemporaryPath temporary(a.vars);
            fs::copy_file(a.template_file, temporary.path(), fs::copy_options::overwrite_existing);
            temporary.commit();
            return "copied the UEFI variable store";
          },
      },
      action);
}

}  // namespace trustnet::launcher
