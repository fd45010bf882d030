#pragma once
// How QEMU does an instance disk's I/O: the host's page cache bypassed (cache=none, O_DIRECT) and
// io_uring, as the design asks, or the next best mode the host accepts, said aloud. The choice is
// made by trying each mode on the real disk (qemu-io, which shares QEMU's block layer) before
// QEMU starts; the fallback order is pure and tested with a fake probe.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace trustnet::launcher {

struct DiskIo {
  bool direct = true;            // cache=none: no second copy in the host's page cache
  std::string aio = "io_uring";  // io_uring, native (Linux AIO, needs direct) or threads
  bool operator==(const DiskIo&) const = default;
};

// io_uring, native, threads with cache=none; then threads through the page cache, for a file
// system without O_DIRECT.
std::vector<DiskIo> disk_io_preference();

// "none" or "writeback": QEMU's and libvirt's cache= for the mode.
std::string cache_mode(const DiskIo& io);
// "cache=none,aio=io_uring": QEMU's -drive options (the libvirt driver's cache= and io=).
std::string disk_io_text(const DiskIo& io);

// Why the host refuses a mode (one line), or nothing when it accepts it.
using DiskIoProbe = std::function<std::optional<std::string>(const DiskIo&)>;

struct DiskIoChoice {
  DiskIo io;
  std::vector<std::string> refused;  // "aio=io_uring: <reason>", for each better mode refused
  // "cache=none,aio=io_uring", with what the host refused on the way when it refused anything.
  std::string summary() const;
};

// The first mode of disk_io_preference() the probe accepts; throws naming every refusal when the
// host accepts none.
DiskIoChoice choose_disk_io(const std::string& disk_name, const DiskIoProbe& probe);

// The instance disk's mode: choose_disk_io with qemu_io_probe on that qcow2 file.
DiskIoChoice choose_instance_disk_io(const std::string& name, const std::filesystem::path& disk);

// Opens `disk` (read-only, shared with a QEMU that may have it open) with qemu-io in that mode and
// reads its first block; a qemu-io that has not answered in 10 s is a refusal.
DiskIoProbe qemu_io_probe(const std::filesystem::path& disk, const std::string& format);

}  // namespace trustnet::launcher
