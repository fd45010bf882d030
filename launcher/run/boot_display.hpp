#pragma once
// The live view of instances while they boot, on stderr: redrawn in place on a terminal, one line
// per change of phase or of what answers otherwise (logs, CI).
#include <string>
#include <vector>

#include "launcher/health/instance_health.hpp"

namespace trustnet::launcher {

class BootDisplay {
 public:
  BootDisplay(bool quiet);
  void update(const std::vector<HealthRow>& rows, double elapsed_seconds);
  void finish();

 private:
  bool quiet_, terminal_;
  size_t drawn_lines_ = 0;
  std::vector<std::string> last_line_;
};

}  // namespace trustnet::launcher
