#pragma once
// The time a wait is measured in. Waits that orchestrate (a boot's deadline, a probe's next try,
// an upgrade's gate) read and spend time through a Clock, so that a test can drive them with a
// clock it advances itself instead of waiting minutes.
#include <chrono>

namespace trustnet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

// The machine's steady clock and a real sleep.
Clock& steady_time();

}  // namespace trustnet
