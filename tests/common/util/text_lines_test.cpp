#include "common/util/text_lines.hpp"

#include <doctest/doctest.h>

using namespace trustnet;
using Lines = std::vector<std::string_view>;

TEST_CASE("split_lines gives each line without its newline, a last unterminated line too") {
  CHECK(split_lines("a\nbb\n") == Lines{"a", "bb"});
  CHECK(split_lines("a\nbb") == Lines{"a", "bb"});
  CHECK(split_lines("a\n\nc\n") == Lines{"a", "", "c"});
  CHECK(split_lines("\n") == Lines{""});
  CHECK(split_lines("").empty());
  CHECK(split_lines("x\r\n") == Lines{"x\r"});  // carriage returns are the caller's to trim
}
