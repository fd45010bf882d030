#include "common/util/text_values.hpp"

#include <doctest/doctest.h>

using namespace trustnet;

TEST_CASE("modes are three or four octal digits") {
  CHECK(parse_mode("0750") == 0750u);
  CHECK(parse_mode("644") == 0644u);
  CHECK(parse_mode("4755") == 04755u);
  CHECK_FALSE(parse_mode("0999"));
  CHECK_FALSE(parse_mode("75"));
  CHECK_FALSE(parse_mode("rwx"));
}

TEST_CASE("sizes take K, M, G and T suffixes in powers of 1024") {
  CHECK(parse_size("50G") == 50ULL << 30);
  CHECK(parse_size("512M") == 512ULL << 20);
  CHECK(parse_size("1024") == 1024u);
  CHECK_FALSE(parse_size("50Q"));
  CHECK_FALSE(parse_size("G"));
  CHECK_FALSE(parse_size("0G"));
  CHECK_FALSE(parse_size("-1G"));
  CHECK(format_size(50ULL << 30) == "50G");
  CHECK(format_size(1000) == "1000");
}

TEST_CASE("whole numbers are decimal digits only and within their bounds, whatever their length") {
  CHECK(is_decimal("0"));
  CHECK(is_decimal("0042"));
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "１"}) CHECK_FALSE(is_decimal(bad));
  CHECK(parse_bounded_uint("0", 0, 10) == 0u);
  CHECK(parse_bounded_uint("10", 0, 10) == 10u);
  CHECK_FALSE(parse_bounded_uint("11", 0, 10));
  CHECK_FALSE(parse_bounded_uint("4", 5, 10));
  CHECK(parse_bounded_uint("18446744073709551615", 0, UINT64_MAX) == std::nullopt);  // 20 digits: refused, no overflow
  CHECK(parse_bounded_uint("9999999999999999999", 0, UINT64_MAX) == 9999999999999999999ull);
  CHECK_FALSE(parse_bounded_uint("99999999999999999999999", 0, UINT64_MAX));
}
