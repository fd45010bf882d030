#include "baker/execute/ext4/direct_disk.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/ext4/online_resize.hpp"
#include "common/handles/unique_fd.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

UniqueFd open_file(const fs::path& file, int flags) {
  UniqueFd fd(::open(file.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  return fd;
}

std::vector<uint8_t> read_at(int fd, uint64_t offset, uint64_t size, const fs::path& file) {
  std::vector<uint8_t> bytes(size);
  uint64_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, bytes.data() + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    if (got == 0) break;
    done += static_cast<uint64_t>(got);
  }
  bytes.resize(done);
  return bytes;
}

void write_at(int fd, uint64_t offset, const std::vector<uint8_t>& bytes, const fs::path& file) {
  for (uint64_t done = 0; done < bytes.size();) {
    const ssize_t put = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) throw Error(fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
    done += static_cast<uint64_t>(put);
  }
}

void set_size(int fd, uint64_t size, const fs::path& file) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0)
    throw Error(fmt::format("cannot size {} to {} bytes: {}", file.string(), size, std::strerror(errno)));
}

// e2fsprogs' programs live in /sbin, which an unprivileged user's PATH often lacks.
std::string e2fsprogs_tool(const std::string& name) {
  for (const char* folder : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
    if (::access((fs::path(folder) / name).c_str(), X_OK) == 0) return (fs::path(folder) / name).string();
  return name;  // from PATH, or the error names it
}

std::map<std::string, std::string> fixed_time(int64_t now) {
  return {{"E2FSCK_TIME", std::to_string(now)}, {"E2FSPROGS_FAKE_TIME", std::to_string(now)}, {"TZ", "UTC"}};
}

std::string last_lines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n') c = ';';
  return text.size() > 600 ? "..." + text.substr(text.size() - 600) : text;
}

}  // namespace

std::string libguestfs_fallback(BakeEngine engine, const DirectEngineRefusal& refusal) {
  if (engine == BakeEngine::ext4) throw Error(fmt::format("--engine ext4: {}", refusal.what()));
  return fmt::format("engine: libguestfs, because {}", refusal.what());
}

DirectDisk split_base(const fs::path& base, const std::string& format, uint64_t base_bytes, const fs::path& folder,
                      uint64_t disk_bytes) {
  DirectDisk disk;
  disk.head = folder / "head.raw";
  disk.root = folder / "root.ext4";
  disk.tail = folder / "tail.raw";
  disk.disk_bytes = disk_bytes;
  // The partition table from the first MiB, then each part straight from the base: qemu-img
  // writes sparse raw files, so only the data the base holds is written, once.
  const fs::path probe = folder / "table.raw";
  run_checked({"qemu-img", "dd", "-f", format, "-O", "raw", "bs=65536",
               fmt::format("count={}", std::min<uint64_t>(16, (base_bytes + 65535) / 65536)), "if=" + base.string(),
               "of=" + probe.string()});
  std::vector<uint8_t> first;
  {
    UniqueFd fd = open_file(probe, O_RDONLY);
    first = read_at(fd.get(), 0, 1 << 20, probe);
  }
  fs::remove(probe);
  const uint32_t ss = disk.sector_size = gpt_sector_size(first);
  if (ss == 0) throw DirectEngineRefusal("the base has no GPT");
  const uint64_t table_bytes = gpt_head_size({first.data(), 2 * uint64_t{ss}}, ss);
  if (table_bytes > first.size()) throw DirectEngineRefusal("the base's GPT entry array lies beyond its first MiB");
  const std::vector<GptPartition> partitions = gpt_partitions({first.data(), table_bytes}, ss);
  if (partitions.empty()) throw DirectEngineRefusal("the base's GPT has no partitions");
  disk.root_partition = *std::max_element(partitions.begin(), partitions.end(),
                                          [](const auto& a, const auto& b) { return a.last_lba < b.last_lba; });
  const GptPartition& root = disk.root_partition;
  const uint64_t start = root.first_lba * ss, length = (root.last_lba - root.first_lba + 1) * ss;
  if (start + length > base_bytes)
    throw Error(fmt::format("GPT partition {} ends after the end of the base image", root.number));
  if (disk_bytes < start + length)
    throw Error(fmt::format("the disk ({} bytes) is smaller than the base's partitions", disk_bytes));
  auto extract = [&](uint64_t offset, uint64_t size, const fs::path& to) {
    const nlohmann::json image =
        format == "raw"
            ? nlohmann::json{{"driver", "file"}, {"filename", base.string()}}
            : nlohmann::json{{"driver", format}, {"file", {{"driver", "file"}, {"filename", base.string()}}}};
    const nlohmann::json range = {{"driver", "raw"}, {"offset", offset}, {"size", size}, {"file", image}};
    run_checked({"qemu-img", "convert", "-q", "-O", "raw", "json:" + range.dump(), to.string()});
  };
  extract(0, start, disk.head);
  extract(start, length, disk.root);
  {
    UniqueFd tail = open_file(disk.tail, O_WRONLY | O_CREAT | O_EXCL);
    set_size(tail.get(), disk_bytes - start - length, disk.tail);
  }

  // The root partition's filesystem, as far as the direct engine is concerned.
  char magic[2] = {};
  UniqueFd root_fd = open_file(disk.root, O_RDONLY);
  if (::pread(root_fd.get(), magic, 2, 1024 + 56) != 2 || magic[0] != '\x53' || magic[1] != '\xEF')
    throw DirectEngineRefusal(fmt::format("the last partition ({}) holds no ext2/3/4 filesystem", root.number));
  try {
    Ext4Root probe(disk.root, false, 0);
    const std::vector<std::string> features = probe.unsupported_features();
    if (!features.empty())
      throw DirectEngineRefusal(
          fmt::format("the root filesystem uses {}, which the direct engine does not edit", fmt::join(features, ", ")));
    if (!probe.exists("/etc/os-release"))
      throw DirectEngineRefusal(fmt::format("the last partition ({}) holds no /etc/os-release", root.number));
  } catch (const Error& e) {
    throw DirectEngineRefusal(fmt::format("libext2fs cannot open the root filesystem: {}", e.what()));
  }
  return disk;
}

void join_to_qcow2(const DirectDisk& disk, const fs::path& image) {
  // Fixed options: the defaults of another QEMU could lay the same data out differently.
  run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", "-o",
               "compat=1.1,cluster_size=65536,lazy_refcounts=off,refcount_bits=16,preallocation=off",
               disk.head.string(), disk.root.string(), disk.tail.string(), image.string()});
  const uint64_t size = qemu_image_info(image, "qcow2").virtual_size;
  if (size != disk.disk_bytes)
    throw Error(fmt::format("the joined image is {} bytes; the disk is {}", size, disk.disk_bytes));
}

void check_root(const DirectDisk& disk, bool repair, int64_t now) {
  const std::vector<std::string> argv = {e2fsprogs_tool("e2fsck"), repair ? "-fy" : "-fn", disk.root.string()};
  const ProcessResult result = run_process_with_env(argv, fixed_time(now));
  // 1: errors corrected, 2: corrected, reboot (a mounted root); both fine for a repair.
  const bool fine = result.exit_status == 0 || (repair && result.exit_status <= 2);
  if (!fine)
    throw Error(fmt::format("{} of the root filesystem found {} (status {}): {}",
                            repair ? "e2fsck -fy" : "the consistency check e2fsck -fn",
                            repair ? "errors it could not correct" : "errors", result.exit_status,
                            last_lines(result.out + result.err)));
}

uint64_t grow_root(DirectDisk& disk, int64_t now) {
  const uint32_t ss = disk.sector_size;
  UniqueFd head_fd = open_file(disk.head, O_RDWR);
  const std::vector<uint8_t> first = read_at(head_fd.get(), 0, 2 * uint64_t{ss}, disk.head);
  const std::vector<uint8_t> head = read_at(head_fd.get(), 0, gpt_head_size(first, ss), disk.head);
  const GptGrowth growth = grow_last_gpt_partition(head, ss, disk.disk_bytes, disk.root_partition.number);
  const uint64_t root_start = growth.first_lba * ss, root_end = (growth.new_last_lba + 1) * ss;
  UniqueFd tail_fd = open_file(disk.tail, O_RDWR);
  set_size(tail_fd.get(), disk.disk_bytes - root_end, disk.tail);
  for (const DiskWrite& write : growth.writes) {
    if (write.offset + write.bytes.size() <= root_start)
      write_at(head_fd.get(), write.offset, write.bytes, disk.head);
    else if (write.offset >= root_end)
      write_at(tail_fd.get(), write.offset - root_end, write.bytes, disk.tail);
    else
      throw Error(fmt::format("a partition table write at byte {} falls inside the root partition", write.offset));
  }
  disk.root_partition.last_lba = growth.new_last_lba;
  const uint64_t partition_bytes = root_end - root_start;

  const Ext4Geometry before = Ext4Root(disk.root, false, now).geometry();
  const uint32_t block_size = before.block_size;
  const uint64_t new_blocks = partition_bytes / block_size;
  if (new_blocks > before.blocks) {
    // The exact size: resize2fs would otherwise size the filesystem from the file.
    const ProcessResult result = run_process_with_env(
        {e2fsprogs_tool("resize2fs"), disk.root.string(), std::to_string(new_blocks * (block_size / 1024)) + "K"},
        fixed_time(now));
    if (result.exit_status != 0)
      throw Error(fmt::format("resize2fs could not grow the root filesystem to {} blocks (status {}): {}", new_blocks,
                              result.exit_status, last_lines(result.err.empty() ? result.out : result.err)));
  }
  UniqueFd root_fd = open_file(disk.root, O_RDWR);
  set_size(root_fd.get(), partition_bytes, disk.root);  // the partition's bytes, whatever resize2fs left
  root_fd.reset();
  Ext4Root after(disk.root, true, now);
  const Ext4Geometry grown = after.geometry();
  after.set_reserved_blocks(online_resize_reserved_blocks(before.reserved_blocks, before.blocks, grown.blocks,
                                                          before.blocks_per_group, before.groups_per_flex));
  after.close();
  return grown.blocks * block_size;
}

}  // namespace trustnet::baker
