#include "common/util/process.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"

using namespace trustnet;

TEST_CASE("run_process captures stdout, stderr and the exit status") {
  ProcessResult result = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(result.out == "out\n");
  CHECK(result.err == "err\n");
  CHECK(result.exit_status == 3);
}

TEST_CASE("run_checked names the command and its stderr when it fails") {
  CHECK_THROWS_WITH(run_checked({"sh", "-c", "echo broken >&2; exit 1"}), doctest::Contains("broken"));
  CHECK_THROWS_AS(run_checked({"no-such-program-xyz"}), Error);
}

TEST_CASE("shell_quote leaves plain words and quotes the rest") {
  CHECK(shell_quote("/opt/trustnet/node") == "/opt/trustnet/node");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("a child reads the input it is given, then end of file") {
  const ProcessResult cat = run_process_with_input({"cat"}, "first line\nsecond\n");
  CHECK(cat.exit_status == 0);
  CHECK(cat.out == "first line\nsecond\n");
  CHECK(run_process_with_input({"wc", "-c"}, "").out == "0\n");
}
