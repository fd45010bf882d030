#include "baker/execute/guestfs/appliance_pool.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace trustnet::baker;

namespace {
constexpr uint64_t kGiB = 1ULL << 30;
}

TEST_CASE("one appliance per core, never more than images, fewer when memory is short") {
  CHECK(appliance_count(2, 2, 24 * kGiB) == 2);
  CHECK(appliance_count(6, 2, 24 * kGiB) == 2);
  CHECK(appliance_count(1, 8, 24 * kGiB) == 1);
  CHECK(appliance_count(6, 8, 24 * kGiB) == 6);
  CHECK(appliance_count(6, 8, 3 * kGiB) == 2);   // two appliances' worth of memory
  CHECK(appliance_count(6, 8, 1 * kGiB) == 1);   // at least one, whatever the memory
  CHECK(appliance_count(6, 0, 24 * kGiB) == 1);  // hardware_concurrency() may say 0
  CHECK(appliance_count(0, 2, 24 * kGiB) == 0);
}

TEST_CASE("an asked-for number of appliances wins over cores and memory, up to one per image") {
  CHECK(appliance_count(6, 2, 1 * kGiB, 3) == 3);
  CHECK(appliance_count(2, 8, 24 * kGiB, 1) == 1);
  CHECK(appliance_count(2, 8, 24 * kGiB, 5) == 2);
}

TEST_CASE("images are split into groups of nearly equal size, every image exactly once, in the order asked for") {
  const std::vector<std::string> bases = {"b", "a", "b", "a", "c"};
  auto groups = assign_to_appliances(bases, 2);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].size() == 3);
  CHECK(groups[1].size() == 2);
  std::vector<size_t> all;
  for (const auto& group : groups) {
    CHECK(std::is_sorted(group.begin(), group.end()));
    all.insert(all.end(), group.begin(), group.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("images of one base share an appliance where the sizes allow, so the base is packed once") {
  auto groups = assign_to_appliances({"b", "a", "b", "a"}, 2);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0] == std::vector<size_t>{1, 3});  // base a
  CHECK(groups[1] == std::vector<size_t>{0, 2});  // base b
  CHECK(assign_to_appliances({"x", "x", "x"}, 1) == std::vector<std::vector<size_t>>{{0, 1, 2}});
  CHECK(assign_to_appliances({"x", "y"}, 5).size() == 2);  // no empty appliance
}

TEST_CASE("the cores are shared out as vCPUs between the appliances, one to four each") {
  CHECK(appliance_vcpus(2, 1) == 2);
  CHECK(appliance_vcpus(2, 2) == 1);
  CHECK(appliance_vcpus(2, 3) == 1);
  CHECK(appliance_vcpus(16, 1) == 4);
  CHECK(appliance_vcpus(16, 4) == 4);
  CHECK(appliance_vcpus(0, 1) == 1);
}
