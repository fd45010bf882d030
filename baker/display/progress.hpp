#pragma once
// Progress lines on stderr, one per finished phase with its time; safe to use from parallel bakes.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/verbosity.hpp"

namespace trustnet {

struct PhaseTime {
  std::string phase;
  double seconds = 0;
};

class Progress {
 public:
  // `subject_width`: the longest subject of the bakes that print side by side, so that their
  // columns line up ("bake node:     " beside "bake registry: ").
  Progress(Verbosity verbosity, std::string subject, size_t subject_width = 0);

  // Says that a long phase begins ("launch appliance …"): without it, a log shows nothing for
  // its whole length.
  void phase_started(std::string_view phase) const;
  // Marks the end of the running phase (started at construction or at the previous call).
  void phase_done(std::string_view phase, std::string_view detail = {});
  void detail(std::string_view message) const;  // shown with -v only
  void note(std::string_view message) const;    // hidden with -q

  const std::vector<PhaseTime>& phases() const { return phases_; }
  double total_seconds() const;

 private:
  void print(std::string_view text) const;

  Verbosity verbosity_;
  std::string subject_;
  size_t subject_width_;
  std::chrono::steady_clock::time_point started_, phase_started_;
  std::vector<PhaseTime> phases_;
};

}  // namespace trustnet
