// The instance disk's I/O mode: the fallback order (with a fake host), and real qemu-io on real
// files deciding what a host accepts.
#include "launcher/qemu/disk_io.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

TEST_CASE("cache=none with io_uring first, and each refusal moves to the next mode and is said") {
  std::vector<std::string> asked;
  auto host_without = [&asked](std::vector<std::string> refused_aio, bool direct_ok) -> DiskIoProbe {
    return [&asked, refused_aio, direct_ok](const DiskIo& io) -> std::optional<std::string> {
      asked.push_back(disk_io_text(io));
      if (io.direct && !direct_ok) return "Invalid argument";
      if (std::find(refused_aio.begin(), refused_aio.end(), io.aio) != refused_aio.end())
        return "aio=" + io.aio + " is not supported";
      return std::nullopt;
    };
  };
  const DiskIoChoice best = choose_disk_io("node", host_without({}, true));
  CHECK(best.io == DiskIo{true, "io_uring"});
  CHECK(best.summary() == "cache=none,aio=io_uring");
  CHECK(asked == std::vector<std::string>{"cache=none,aio=io_uring"});

  asked.clear();
  const DiskIoChoice native = choose_disk_io("node", host_without({"io_uring"}, true));
  CHECK(native.io == DiskIo{true, "native"});
  CHECK(native.summary() ==
        "cache=none,aio=native (the host refused cache=none,aio=io_uring: aio=io_uring is not supported)");

  const DiskIoChoice threads = choose_disk_io("node", host_without({"io_uring", "native"}, true));
  CHECK(threads.io == DiskIo{true, "threads"});
  CHECK(threads.refused.size() == 2);

  // A file system without O_DIRECT: through the page cache.
  const DiskIoChoice cached = choose_disk_io("node", host_without({}, false));
  CHECK(cached.io == DiskIo{false, "threads"});
  CHECK(cached.refused.size() == 3);

  CHECK_THROWS_WITH_AS(choose_disk_io("node", [](const DiskIo&) { return std::optional<std::string>("no"); }),
                       "node: QEMU can open the disk in no I/O mode: cache=none,aio=io_uring: no; "
                       "cache=none,aio=native: no; cache=none,aio=threads: no; "
                       "cache=writeback,aio=threads: no",
                       Error);
}

TEST_CASE("qemu-io decides on the real disk: a qcow2 overlay opens in the best mode, a broken file in none") {
  test::TempDir dir;
  const auto base = dir.path() / "base.qcow2", overlay = dir.path() / "disk.qcow2";
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", base.string(), "64M"});
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.string(), overlay.string()});
  const DiskIoProbe probe = qemu_io_probe(overlay, "qcow2");
  // Every mode is one QEMU offers; this host's filesystem takes the first (ext4 has O_DIRECT).
  CHECK_FALSE(probe(DiskIo{true, "threads"}));
  CHECK_FALSE(probe(DiskIo{false, "threads"}));
  const DiskIoChoice choice = choose_disk_io("node", probe);
  CHECK(choice.io == disk_io_preference().front());
  // Linux AIO without O_DIRECT is a combination QEMU itself refuses: its reason, one line.
  const std::optional<std::string> refused = probe(DiskIo{false, "native"});
  REQUIRE(refused);
  CHECK(refused->find("aio=native was specified, but it requires cache.direct=on") != std::string::npos);
  CHECK(refused->find('\n') == std::string::npos);

  const auto broken = dir.path() / "broken.qcow2";
  std::ofstream(broken) << "not a disk image";
  try {
    choose_disk_io("node", qemu_io_probe(broken, "qcow2"));
    FAIL("a broken image was accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("node: QEMU can open the disk in no I/O mode: cache=none,aio=io_uring: "));
    CHECK(std::string(e.what()).find("Image is not in qcow2 format") != std::string::npos);
  }
}
