#include "baker/execute/ext4/gpt_growth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/util/error.hpp"

namespace trustnet::baker {
namespace {

// UEFI 2.10, 5.3.2: header field offsets.
constexpr size_t kSignature = 0, kHeaderSize = 12, kHeaderCrc = 16, kMyLba = 24, kAlternateLba = 32, kFirstUsable = 40,
                 kLastUsable = 48, kEntriesLba = 72, kEntryCount = 80, kEntrySize = 84, kEntriesCrc = 88;
// 5.3.3: entry field offsets.
constexpr size_t kEntryFirstLba = 32, kEntryLastLba = 40;
constexpr char kGptSignature[] = "EFI PART";

uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

struct Header {
  uint32_t size, entry_count, entry_size;
  uint64_t entries_lba;
  uint64_t entry_bytes() const { return uint64_t{entry_count} * entry_size; }
};

Header read_header(std::span<const uint8_t> head, uint32_t sector_size) {
  if (sector_size < 512 || sector_size % 512 != 0)
    throw Error(fmt::format("the sector size {} is not supported", sector_size));
  if (head.size() < 2 * uint64_t{sector_size}) throw Error("the disk is too small to hold a GPT");
  const uint8_t* h = head.data() + sector_size;
  if (std::memcmp(h + kSignature, kGptSignature, 8) != 0) throw Error("the disk has no GPT header at LBA 1");
  Header header{le32(h + kHeaderSize), le32(h + kEntryCount), le32(h + kEntrySize), le64(h + kEntriesLba)};
  if (header.size < 92 || header.size > sector_size)
    throw Error(fmt::format("the GPT header size {} is invalid", header.size));
  if (header.entry_size < 128 || header.entry_size % 8 != 0 || header.entry_count == 0 || header.entry_count > 1024)
    throw Error(
        fmt::format("the GPT entry array ({} entries of {} bytes) is invalid", header.entry_count, header.entry_size));
  if (header.entries_lba < 2 || header.entries_lba > 64)
    throw Error(fmt::format("the GPT entry array at LBA {} is unexpected", header.entries_lba));
  return header;
}

}  // namespace

uint32_t crc32_ieee(std::span<const uint8_t> bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

bool has_gpt_header(std::span<const uint8_t> first_two_sectors, uint32_t sector_size) {
  return first_two_sectors.size() >= 2 * uint64_t{sector_size} &&
         std::memcmp(first_two_sectors.data() + sector_size + kSignature, kGptSignature, 8) == 0;
}

uint32_t gpt_sector_size(std::span<const uint8_t> first_bytes) {
  for (uint32_t size : {512u, 4096u})
    if (has_gpt_header(first_bytes, size)) return size;
  return 0;
}

uint64_t gpt_head_size(std::span<const uint8_t> first_two_sectors, uint32_t sector_size) {
  Header header = read_header(first_two_sectors, sector_size);
  uint64_t entry_sectors = (header.entry_bytes() + sector_size - 1) / sector_size;
  return (header.entries_lba + entry_sectors) * sector_size;
}

std::vector<GptPartition> gpt_partitions(std::span<const uint8_t> head, uint32_t sector_size) {
  const Header header = read_header(head, sector_size);
  if (head.size() < gpt_head_size(head, sector_size)) throw Error("the GPT entry array was not read whole");
  const uint64_t entries_offset = header.entries_lba * sector_size;
  const std::span<const uint8_t> entries = head.subspan(entries_offset, header.entry_bytes());
  if (crc32_ieee(entries) != le32(head.data() + sector_size + kEntriesCrc))
    throw Error("the GPT entry array checksum does not match; the table is damaged");
  // The Linux filesystem type GUID as stored (its first three fields little-endian).
  static constexpr uint8_t kLinuxData[16] = {0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
                                             0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4};
  std::vector<GptPartition> found;
  for (uint32_t i = 0; i < header.entry_count; ++i) {
    const uint8_t* entry = entries.data() + uint64_t{i} * header.entry_size;
    const uint64_t first = le64(entry + kEntryFirstLba), last = le64(entry + kEntryLastLba);
    if (std::all_of(entry, entry + 16, [](uint8_t b) { return b == 0; })) continue;  // unused
    if (last < first) throw Error(fmt::format("GPT partition {} ends before it starts", i + 1));
    found.push_back({static_cast<int>(i) + 1, first, last, std::memcmp(entry, kLinuxData, 16) == 0});
  }
  // Two entries over the same sectors (a duplicate, or an overlap) would let an edit of one
  // partition write into another.
  std::vector<GptPartition> by_start = found;
  std::sort(by_start.begin(), by_start.end(), [](const auto& a, const auto& b) { return a.first_lba < b.first_lba; });
  for (size_t i = 1; i < by_start.size(); ++i)
    if (by_start[i].first_lba <= by_start[i - 1].last_lba)
      throw Error(fmt::format("GPT partitions {} and {} overlap (sectors {}-{} and {}-{}); the table is damaged",
                              std::min(by_start[i - 1].number, by_start[i].number),
                              std::max(by_start[i - 1].number, by_start[i].number), by_start[i - 1].first_lba,
                              by_start[i - 1].last_lba, by_start[i].first_lba, by_start[i].last_lba));
  return found;
}

GptGrowth grow_last_gpt_partition(std::span<const uint8_t> head, uint32_t sector_size, uint64_t disk_bytes,
                                  int number) {
  const Header header = read_header(head, sector_size);
  if (head.size() < gpt_head_size(head, sector_size)) throw Error("the GPT entry array was not read whole");
  const uint8_t* old_header = head.data() + sector_size;

  std::vector<uint8_t> primary(old_header, old_header + sector_size);
  uint32_t stored_crc = le32(primary.data() + kHeaderCrc);
  put32(primary.data() + kHeaderCrc, 0);
  if (crc32_ieee({primary.data(), header.size}) != stored_crc)
    throw Error("the GPT header checksum does not match; the table is damaged");
  if (le64(primary.data() + kMyLba) != 1) throw Error("the GPT header at LBA 1 does not say it is the primary");

  const uint64_t entries_offset = header.entries_lba * sector_size;
  std::vector<uint8_t> entries(head.begin() + static_cast<ptrdiff_t>(entries_offset),
                               head.begin() + static_cast<ptrdiff_t>(entries_offset + header.entry_bytes()));
  if (crc32_ieee(entries) != le32(primary.data() + kEntriesCrc))
    throw Error("the GPT entry array checksum does not match; the table is damaged");

  if (number < 1 || static_cast<uint32_t>(number) > header.entry_count)
    throw Error(fmt::format("GPT partition {} does not exist (the table has {} entries)", number, header.entry_count));
  uint8_t* target = entries.data() + static_cast<size_t>(number - 1) * header.entry_size;
  const uint64_t first = le64(target + kEntryFirstLba), old_last = le64(target + kEntryLastLba);
  if (first == 0 && old_last == 0) throw Error(fmt::format("GPT partition {} is empty", number));
  for (uint32_t i = 0; i < header.entry_count; ++i) {
    const uint8_t* entry = entries.data() + uint64_t{i} * header.entry_size;
    if (static_cast<int>(i) + 1 != number && le64(entry + kEntryLastLba) > old_last)
      throw Error(
          fmt::format("GPT partition {} ends after partition {}; only the last partition can grow", i + 1, number));
  }

  const uint64_t entry_sectors = (header.entry_bytes() + sector_size - 1) / sector_size;
  const uint64_t disk_lbas = disk_bytes / sector_size;
  const uint64_t backup_lba = disk_lbas - 1;
  const uint64_t backup_entries_lba = backup_lba - entry_sectors;
  const uint64_t last_usable = backup_entries_lba - 1;
  if (last_usable < old_last)
    throw Error(fmt::format("the disk ({} bytes) is smaller than its partitions", disk_bytes));
  put64(target + kEntryLastLba, last_usable);
  const uint32_t entries_crc = crc32_ieee(entries);

  auto finish = [&](std::vector<uint8_t>& h, uint64_t my_lba, uint64_t alternate, uint64_t entries_at) {
    put64(h.data() + kMyLba, my_lba);
    put64(h.data() + kAlternateLba, alternate);
    put64(h.data() + kLastUsable, last_usable);
    put64(h.data() + kEntriesLba, entries_at);
    put32(h.data() + kEntriesCrc, entries_crc);
    put32(h.data() + kHeaderCrc, 0);
    put32(h.data() + kHeaderCrc, crc32_ieee({h.data(), header.size}));
  };
  std::vector<uint8_t> backup = primary;
  finish(primary, 1, backup_lba, header.entries_lba);
  finish(backup, backup_lba, 1, backup_entries_lba);
  if (le64(primary.data() + kFirstUsable) > first) throw Error("the GPT's first usable LBA lies after the partition");

  GptGrowth growth{.writes = {}, .first_lba = first, .old_last_lba = old_last, .new_last_lba = last_usable};
  // Two writes, each one contiguous run (every device write costs a udev settle in the appliance):
  // the backup entries and header at the end, then MBR, primary header and entries at the start.
  std::vector<uint8_t> tail(entries);
  tail.resize(entry_sectors * sector_size, 0);
  tail.insert(tail.end(), backup.begin(), backup.end());
  growth.writes.push_back({backup_entries_lba * sector_size, std::move(tail)});

  std::vector<uint8_t> start(head.begin(),
                             head.begin() + static_cast<ptrdiff_t>(entries_offset + entry_sectors * sector_size));
  // The protective MBR's partition covers the whole disk, capped at 2^32-1 sectors.
  if (start[510] == 0x55 && start[511] == 0xAA && start[446 + 4] == 0xEE)
    put32(start.data() + 446 + 12, static_cast<uint32_t>(std::min<uint64_t>(disk_lbas - 1, 0xFFFFFFFFu)));
  std::copy(primary.begin(), primary.end(), start.begin() + sector_size);
  std::copy(entries.begin(), entries.end(), start.begin() + static_cast<ptrdiff_t>(entries_offset));
  growth.writes.push_back({0, std::move(start)});
  // The old backup header is left where it was, now inside the grown partition, as `sgdisk -e`
  // leaves it: tools look for the backup only where the primary header points.
  return growth;
}

}  // namespace trustnet::baker
