#include "baker/execute/ext4/gpt_growth.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/handles/unique_fd.hpp"
#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {

constexpr uint64_t kMiB = 1 << 20;

// A disk laid out like the Alpine cloud image: an EFI system partition, then the root to the end.
std::filesystem::path make_disk(const test::TempDir& dir, uint64_t size) {
  auto disk = dir / "disk.raw";
  std::ofstream(disk).close();
  std::filesystem::resize_file(disk, size);
  run_checked({"sgdisk", "-n", "1:2048:+4M", "-t", "1:EF00", "-c", "1:esp", "-n", "2:0:0", "-t", "2:8300", "-c",
               "2:root", disk.string()});
  return disk;
}

std::vector<uint8_t> read_head(const std::filesystem::path& disk) {
  std::ifstream in(disk, std::ios::binary);
  std::vector<uint8_t> two(1024);
  in.read(reinterpret_cast<char*>(two.data()), 1024);
  std::vector<uint8_t> head(gpt_head_size(two, 512));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  return head;
}

void apply(const std::filesystem::path& disk, const GptGrowth& growth) {
  UniqueFd fd(::open(disk.c_str(), O_WRONLY));
  REQUIRE(fd.get() >= 0);
  for (const auto& write : growth.writes)
    REQUIRE(::pwrite(fd.get(), write.bytes.data(), write.bytes.size(), static_cast<off_t>(write.offset)) ==
            static_cast<ssize_t>(write.bytes.size()));
}

std::string partition_info(const std::filesystem::path& disk, int number) {
  return run_checked({"sgdisk", "-i", std::to_string(number), disk.string()});
}

}  // namespace

TEST_CASE("crc32 matches the IEEE check value") {
  const std::string check = "123456789";
  CHECK(crc32_ieee({reinterpret_cast<const uint8_t*>(check.data()), check.size()}) == 0xCBF43926u);
}

TEST_CASE("the last GPT partition grows to the end of an enlarged disk and sgdisk finds the table valid") {
  test::TempDir dir;
  auto disk = make_disk(dir, 16 * kMiB);
  const std::string esp_before = partition_info(disk, 1);
  const std::string root_before = partition_info(disk, 2);
  std::filesystem::resize_file(disk, 48 * kMiB);

  GptGrowth growth = grow_last_gpt_partition(read_head(disk), 512, 48 * kMiB, 2);
  CHECK(growth.old_last_lba == 16 * kMiB / 512 - 34);
  CHECK(growth.new_last_lba == 48 * kMiB / 512 - 34);
  apply(disk, growth);

  CHECK(run_checked({"sgdisk", "-v", disk.string()}).find("No problems found") != std::string::npos);
  const std::string root_after = partition_info(disk, 2);
  CHECK(root_after.find("Last sector: " + std::to_string(48 * kMiB / 512 - 34)) != std::string::npos);
  CHECK(root_after.find("Partition name: 'root'") != std::string::npos);
  // Everything but the end and size is kept: GUIDs, type, start.
  auto unique_guid = [](const std::string& info) { return info.substr(info.find("Partition unique GUID"), 60); };
  CHECK(unique_guid(root_after) == unique_guid(root_before));
  CHECK(partition_info(disk, 1) == esp_before);
  CHECK(growth.writes.size() == 2);  // one contiguous write at each end of the disk
}

TEST_CASE("a GPT partition that is not the last, a damaged header and a disk without GPT are refused") {
  test::TempDir dir;
  auto disk = make_disk(dir, 16 * kMiB);
  std::filesystem::resize_file(disk, 32 * kMiB);
  auto head = read_head(disk);
  CHECK_THROWS_WITH(grow_last_gpt_partition(head, 512, 32 * kMiB, 1),
                    doctest::Contains("GPT partition 2 ends after partition 1; only the last partition can grow"));
  CHECK_THROWS_WITH(grow_last_gpt_partition(head, 512, 32 * kMiB, 3), doctest::Contains("GPT partition 3 is empty"));
  CHECK_THROWS_WITH(grow_last_gpt_partition(head, 512, 8 * kMiB, 2), doctest::Contains("smaller than its partitions"));

  auto damaged = head;
  damaged[512 + 60] ^= 1;  // inside the disk GUID
  CHECK_THROWS_WITH(grow_last_gpt_partition(damaged, 512, 32 * kMiB, 2),
                    doctest::Contains("GPT header checksum does not match"));
  auto damaged_entries = head;
  damaged_entries[1024 + 128 + 60] ^= 1;  // partition 2's name
  CHECK_THROWS_WITH(grow_last_gpt_partition(damaged_entries, 512, 32 * kMiB, 2),
                    doctest::Contains("entry array checksum"));
  std::vector<uint8_t> blank(head.size(), 0);
  CHECK(has_gpt_header(head, 512));
  CHECK_FALSE(has_gpt_header(blank, 512));
  CHECK_THROWS_WITH(grow_last_gpt_partition(blank, 512, 32 * kMiB, 2), doctest::Contains("no GPT header at LBA 1"));
}

namespace {

// `head` with the entry array changed by `edit`, and both checksums written again, as a crafted
// table would be.
std::vector<uint8_t> with_entries(std::vector<uint8_t> head, const std::function<void(uint8_t* entries)>& edit) {
  uint8_t* header = head.data() + 512;
  uint8_t* entries = head.data() + 1024;
  edit(entries);
  const auto put32 = [](uint8_t* at, uint32_t value) {
    for (int i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
  };
  put32(header + 88, crc32_ieee({entries, 128 * 128}));
  put32(header + 16, 0);
  put32(header + 16, crc32_ieee({header, 92}));
  return head;
}

}  // namespace

TEST_CASE("a GPT whose entries overlap, or name one partition twice, is refused") {
  test::TempDir dir;
  const auto head = read_head(make_disk(dir, 16 * kMiB));
  REQUIRE(gpt_partitions(head, 512).size() == 2);
  const auto duplicate = with_entries(head, [](uint8_t* entries) { std::memcpy(entries + 256, entries + 128, 128); });
  CHECK_THROWS_WITH(gpt_partitions(duplicate, 512), doctest::Contains("GPT partitions 2 and 3 overlap"));
  // The EFI partition stretched into the root's first sectors.
  const auto overlapping = with_entries(head, [](uint8_t* entries) {
    std::memcpy(entries + 40, entries + 128 + 32, 8);  // partition 1 ends where the root starts
  });
  CHECK_THROWS_WITH(gpt_partitions(overlapping, 512),
                    doctest::Contains("GPT partitions 1 and 2 overlap (sectors 2048-"));
}
