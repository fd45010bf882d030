#include "common/transfer/transfer_display.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace trustnet;

TEST_CASE("byte counts and durations are shown in the units a person reads") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(512ULL << 20) == "512.0 MiB");
  CHECK(format_bytes(3ULL << 30) == "3.0 GiB");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(62) == "1:02");
  CHECK(format_duration(3723) == "1:02:03");
}

TEST_CASE("the progress bar shows the share done, bytes, rate and time left, within the terminal width") {
  TransferFigures f{.bytes = 256ULL << 20, .total = 512ULL << 20, .resumed_from = 0, .seconds = 2};
  const std::string bar = format_transfer_bar("base image", f, 100);
  CHECK(bar.starts_with("fetch base image ["));
  CHECK(bar.find("50% 256.0 MiB / 512.0 MiB  128.0 MiB/s  0:02 left") != std::string::npos);
  CHECK(bar.size() <= 100);
  const std::string filled = bar.substr(bar.find('[') + 1, bar.find(']') - bar.find('[') - 1);
  CHECK(std::count(filled.begin(), filled.end(), '#') == static_cast<long>(filled.size() / 2));
  // Unknown length: no bar, no estimate.
  CHECK(format_transfer_bar("base image", {.bytes = 1 << 20, .total = std::nullopt, .resumed_from = 0, .seconds = 1},
                            100) == "fetch base image 1.0 MiB  1.0 MiB/s");
}

TEST_CASE("the line of a finished download counts only the bytes it moved, and says where it resumed") {
  TransferFigures f{.bytes = 3ULL << 20, .total = 3ULL << 20, .resumed_from = 1ULL << 20, .seconds = 2};
  CHECK(format_transfer_done("binary tool", f) ==
        "fetch binary tool: 2.0 MiB in 2.00 s (1.0 MiB/s), resumed after 1.0 MiB");
}
