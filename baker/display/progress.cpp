#include "baker/display/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace trustnet {
namespace {
std::mutex stderr_mutex;
}

Progress::Progress(Verbosity verbosity, std::string subject, size_t subject_width)
    : verbosity_(verbosity),
      subject_(std::move(subject)),
      subject_width_(std::max(subject_width, subject_.size())),
      started_(std::chrono::steady_clock::now()),
      phase_started_(started_) {}

void Progress::phase_done(std::string_view phase, std::string_view detail) {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - phase_started_).count();
  phase_started_ = now;
  phases_.push_back({std::string(phase), seconds});
  if (verbosity_ == Verbosity::quiet) return;
  std::string line = fmt::format("{:<28} {:7.2f} s", phase, seconds);
  if (!detail.empty()) line += fmt::format("  {}", detail);
  print(line);
}

void Progress::phase_started(std::string_view phase) const {
  if (verbosity_ != Verbosity::quiet) print(fmt::format("{} …", phase));
}

void Progress::detail(std::string_view message) const {
  if (verbosity_ == Verbosity::verbose) print(fmt::format("  {}", message));
}

void Progress::note(std::string_view message) const {
  if (verbosity_ != Verbosity::quiet) print(message);
}

double Progress::total_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void Progress::print(std::string_view text) const {
  std::lock_guard lock(stderr_mutex);
  fmt::print(stderr, "{:<{}} {}\n", subject_ + ":", subject_width_ + 1, text);
  std::fflush(stderr);
}

}  // namespace trustnet
