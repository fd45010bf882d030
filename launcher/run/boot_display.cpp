#include "launcher/run/boot_display.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace trustnet::launcher {

BootDisplay::BootDisplay(bool quiet) : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {}

void BootDisplay::update(const std::vector<HealthRow>& rows, double elapsed) {
  if (quiet_) return;
  last_line_.resize(rows.size());
  if (!terminal_) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string answered = answered_text(rows[i]);
      const std::string line = phase_name(rows[i].phase) + (answered.empty() ? "" : " (" + answered + ")");
      if (line == last_line_[i]) continue;
      last_line_[i] = line;
      fmt::print(stderr, "launch {}: {} after {:.1f} s\n", rows[i].name, line, elapsed);
    }
    return;
  }
  std::string frame = drawn_lines_ ? fmt::format("\x1b[{}F", drawn_lines_) : "";
  for (const auto& row : rows) {
    frame += fmt::format("\x1b[2K  {:<16} {:<10} {:>6.1f} s  {}\n", row.name, phase_name(row.phase), elapsed,
                         answered_text(row));
  }
  drawn_lines_ = rows.size();
  fmt::print(stderr, "{}", frame);
  std::fflush(stderr);
}

void BootDisplay::finish() { drawn_lines_ = 0; }

}  // namespace trustnet::launcher
