#pragma once
// Growing the last GPT partition to the end of an enlarged disk, computed on bytes. Doing it here
// instead of `sgdisk -e` then `parted resizepart` costs one partition-table re-read in the
// appliance instead of two (about 2.5 s under TCG). The caller reads the head of the disk, writes
// back the blocks this returns and re-reads the partition table.
#include <cstdint>
#include <span>
#include <vector>

namespace trustnet::baker {

struct DiskWrite {
  uint64_t offset = 0;  // bytes from the start of the disk
  std::vector<uint8_t> bytes;
};

struct GptGrowth {
  std::vector<DiskWrite> writes;  // backup copy first, primary last: a crash in between leaves the old primary
  uint64_t first_lba = 0, old_last_lba = 0, new_last_lba = 0;
};

bool has_gpt_header(std::span<const uint8_t> first_two_sectors, uint32_t sector_size);
// The sector size a GPT header in the disk's first bytes (8 KiB will do) was written for: its
// header sits in the second sector. 0 when there is none.
uint32_t gpt_sector_size(std::span<const uint8_t> first_bytes);
// Bytes the head must cover (protective MBR, header and entry array), from the first two sectors.
uint64_t gpt_head_size(std::span<const uint8_t> first_two_sectors, uint32_t sector_size);

// `head` starts at byte 0 and holds at least gpt_head_size() bytes. The partition `number`
// (1-based) must be the one that ends last. Throws Error on a damaged or foreign table.
GptGrowth grow_last_gpt_partition(std::span<const uint8_t> head, uint32_t sector_size, uint64_t disk_bytes, int number);

struct GptPartition {
  int number = 0;  // 1-based
  uint64_t first_lba = 0, last_lba = 0;
  bool linux_data = false;  // type 0FC63DAF-8483-4772-8E79-3D69D8477DE4 (Linux filesystem)
};

// The used entries of the table, in table order (the entry array's checksum is checked).
std::vector<GptPartition> gpt_partitions(std::span<const uint8_t> head, uint32_t sector_size);

uint32_t crc32_ieee(std::span<const uint8_t> bytes);

}  // namespace trustnet::baker
