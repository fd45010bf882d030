#include "baker/execute/guestfs/device_names.hpp"

#include <doctest/doctest.h>

using namespace trustnet::baker;

TEST_CASE("partition names give their disk and number") {
  auto p = parse_partition_name("/dev/sda2");
  REQUIRE(p);
  CHECK(p->disk == "/dev/sda");
  CHECK(p->number == 2);
  p = parse_partition_name("/dev/sdab15");
  REQUIRE(p);
  CHECK(p->disk == "/dev/sdab");
  CHECK(p->number == 15);
  p = parse_partition_name("/dev/vdb1");
  REQUIRE(p);
  CHECK(p->disk == "/dev/vdb");
  CHECK(p->number == 1);
}

TEST_CASE("names of whole disks and other forms are not taken for partitions") {
  for (const char* name :
       {"/dev/sda", "/dev/sd1", "/dev/sda0", "/dev/sda1x", "/dev/nvme0n1p2", "/dev/mapper/root", "/dev/sda1234", ""})
    CHECK_MESSAGE(!parse_partition_name(name), name);
}
