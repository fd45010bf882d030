#include "common/util/clock.hpp"

#include <thread>

namespace trustnet {

namespace {

class SteadyTime final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
};

}  // namespace

Clock& steady_time() {
  static SteadyTime clock;
  return clock;
}

}  // namespace trustnet
