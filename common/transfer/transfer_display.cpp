#include "common/transfer/transfer_display.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace trustnet {

std::string format_bytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_duration(double seconds) {
  auto s = static_cast<uint64_t>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

namespace {

double rate(const TransferFigures& f) {
  return f.seconds > 0 ? static_cast<double>(f.bytes - f.resumed_from) / f.seconds : 0;
}

}  // namespace

std::string format_transfer_bar(const std::string& name, const TransferFigures& f, int width) {
  const double r = rate(f);
  std::string figures;
  if (f.total && *f.total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(f.bytes) / static_cast<double>(*f.total));
    const std::string left =
        r > 0 ? format_duration(static_cast<double>(*f.total - std::min(f.bytes, *f.total)) / r) : "-:--";
    figures = fmt::format(" {:>3.0f}% {} / {}  {}/s  {} left", fraction * 100, format_bytes(f.bytes),
                          format_bytes(*f.total), format_bytes(static_cast<uint64_t>(r)), left);
    // "fetch NAME [" + bar + "]" + figures, leaving the last column free so the line never wraps.
    const int bar_width = std::clamp(width - 1 - static_cast<int>(name.size() + figures.size()) - 9, 0, 40);
    const int filled = static_cast<int>(fraction * bar_width);
    return fmt::format("fetch {} [{}{}]{}", name, std::string(filled, '#'), std::string(bar_width - filled, ' '),
                       figures);
  }
  return fmt::format("fetch {} {}  {}/s", name, format_bytes(f.bytes), format_bytes(static_cast<uint64_t>(r)));
}

std::string format_transfer_done(const std::string& name, const TransferFigures& f, const std::string& verb) {
  std::string line = fmt::format("{} {}: {} in {:.2f} s ({}/s)", verb, name, format_bytes(f.bytes - f.resumed_from),
                                 f.seconds, format_bytes(static_cast<uint64_t>(rate(f))));
  if (f.resumed_from > 0) line += fmt::format(", resumed after {}", format_bytes(f.resumed_from));
  return line;
}

TransferDisplay::TransferDisplay(Verbosity verbosity, bool terminal) : verbosity_(verbosity), terminal_(terminal) {}

bool TransferDisplay::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void TransferDisplay::start(const std::string& name, const std::string& verb) {
  name_ = name;
  verb_ = verb;
  bar_shown_ = false;
  last_draw_ = {};
}

void TransferDisplay::update(const TransferFigures& figures) {
  if (!terminal_ || verbosity_ == Verbosity::quiet) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  winsize size{};
  const int width = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
  std::string bar = format_transfer_bar(name_, figures, width);
  if (static_cast<int>(bar.size()) > width - 1) bar.resize(static_cast<size_t>(std::max(0, width - 1)));
  fmt::print(stderr, "\r\033[K{}", bar);
  std::fflush(stderr);
  bar_shown_ = true;
}

void TransferDisplay::clear_bar() {
  if (!bar_shown_) return;
  fmt::print(stderr, "\r\033[K");
  bar_shown_ = false;
}

void TransferDisplay::done(const TransferFigures& figures) { line(format_transfer_done(name_, figures, verb_)); }

void TransferDisplay::line(const std::string& text) {
  if (verbosity_ == Verbosity::quiet) return;
  clear_bar();
  fmt::print(stderr, "{}\n", text);
}

}  // namespace trustnet
