#include "common/util/parallel_tasks.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/util/error.hpp"

using namespace trustnet;

TEST_CASE("parallel_map returns each task's result in the items' order") {
  const std::vector<int> items{3, 1, 2};
  const std::vector<std::string> results = parallel_map(items, [](int n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * n));  // finishing out of order
    return std::string(static_cast<size_t>(n), 'x');
  });
  CHECK(results == std::vector<std::string>{"xxx", "x", "xx"});
}

TEST_CASE("parallel_map runs the tasks side by side") {
  // Each task waits until all have started: run one after the other, the first would wait forever;
  // the bounded wait turns that into a failure instead of a hang.
  const std::vector<int> items{0, 1, 2};
  std::latch all_started(3);
  const std::vector<bool> met = parallel_map(items, [&](int) {
    all_started.count_down();
    for (int i = 0; i < 500; ++i) {
      if (all_started.try_wait()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  });
  CHECK(met == std::vector<bool>{true, true, true});
}

TEST_CASE("parallel_map waits for every task when one fails, and rethrows a lone failure as it was") {
  const std::vector<int> items{0, 1, 2, 3};
  std::atomic<int> finished = 0;
  try {
    parallel_map(items, [&](int n) {
      if (n == 0) throw Error("node: recipe.yaml: bad", ExitCode::bad_input);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ++finished;
    });
    FAIL("no failure came back");
  } catch (const Error& e) {
    CHECK(e.line() == "node: recipe.yaml: bad");
    CHECK(e.exit_code() == ExitCode::bad_input);
  }
  CHECK(finished == 3);
}

TEST_CASE("parallel_map reports every failure once, joined, with the first one's exit code") {
  const std::vector<std::string> items{"node", "registry", "third"};
  try {
    parallel_map(items, [](const std::string& name) -> int {
      if (name == "node") throw Error("node: disk full", ExitCode::failure);
      if (name == "registry") throw std::runtime_error("registry: cannot start");
      return 1;
    });
    FAIL("no failure came back");
  } catch (const Error& e) {
    CHECK(e.line() == "node: disk full; registry: cannot start");
    CHECK(e.exit_code() == ExitCode::failure);
  }
}

TEST_CASE("parallel_map reports an interruption among several failures as interrupted") {
  const std::vector<int> items{0, 1};
  try {
    parallel_map(items, [](int n) {
      if (n == 0) throw Error("node: bad input", ExitCode::bad_input);
      throw Error("registry: interrupted", ExitCode::interrupted);
    });
    FAIL("no failure came back");
  } catch (const Error& e) {
    CHECK(e.line() == "node: bad input; registry: interrupted");
    CHECK(e.exit_code() == ExitCode::interrupted);
  }
}
