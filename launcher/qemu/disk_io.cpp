#include "launcher/qemu/disk_io.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace trustnet::launcher {

namespace {
constexpr int kProbeSeconds = 10;
}  // namespace

std::vector<DiskIo> disk_io_preference() {
  // Through the page cache, threads only: QEMU 7.2 with writeback and io_uring hangs instead of
  // failing when the image cannot be opened (measured with qemu-io).
  return {{true, "io_uring"}, {true, "native"}, {true, "threads"}, {false, "threads"}};
}

std::string cache_mode(const DiskIo& io) { return io.direct ? "none" : "writeback"; }

std::string disk_io_text(const DiskIo& io) { return fmt::format("cache={},aio={}", cache_mode(io), io.aio); }

std::string DiskIoChoice::summary() const {
  if (refused.empty()) return disk_io_text(io);
  return fmt::format("{} (the host refused {})", disk_io_text(io), fmt::join(refused, "; "));
}

DiskIoChoice choose_disk_io(const std::string& disk_name, const DiskIoProbe& probe) {
  DiskIoChoice choice;
  for (const DiskIo& io : disk_io_preference()) {
    const std::optional<std::string> refusal = probe(io);
    if (!refusal) {
      choice.io = io;
      return choice;
    }
    choice.refused.push_back(fmt::format("{}: {}", disk_io_text(io), *refusal));
  }
  throw Error(fmt::format("{}: QEMU can open the disk in no I/O mode: {}", disk_name, fmt::join(choice.refused, "; ")));
}

DiskIoProbe qemu_io_probe(const std::filesystem::path& disk, const std::string& format) {
  return [disk, format](const DiskIo& io) -> std::optional<std::string> {
    // Bounded: a QEMU that hangs on some refusals must not hang the start.
    const ProcessResult run =
        run_process({"timeout", "-k", "2", std::to_string(kProbeSeconds), "qemu-io", "-r", "-U", "-f", format,
                     "--cache", cache_mode(io), "--aio", io.aio, "-c", "read 0 512", disk.string()});
    if (run.exit_status == 0) return std::nullopt;
    if (run.exit_status == 124 || run.exit_status == 128 + 9)
      return fmt::format("qemu-io did not answer within {} s", kProbeSeconds);
    // qemu-io's reason, without its program name: "can't open device D: ... requires ...".
    std::string reason = run.err.empty() ? run.out : run.err;
    reason = reason.substr(0, reason.find('\n'));
    if (reason.starts_with("qemu-io: ")) reason.erase(0, 9);
    return reason.empty() ? fmt::format("qemu-io exited with status {}", run.exit_status) : reason;
  };
}

DiskIoChoice choose_instance_disk_io(const std::string& name, const std::filesystem::path& disk) {
  return choose_disk_io(name, qemu_io_probe(disk, "qcow2"));
}

}  // namespace trustnet::launcher
