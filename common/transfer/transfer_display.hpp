#pragma once
// How downloads show on stderr: on a terminal one bar per file, redrawn in place (bytes, rate,
// time left); otherwise one line per file when it is done. The formatting is pure.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/util/verbosity.hpp"

namespace trustnet {

struct TransferFigures {
  uint64_t bytes = 0;             // in the file so far, resumed bytes included
  std::optional<uint64_t> total;  // when the server said
  uint64_t resumed_from = 0;
  double seconds = 0;  // since this transfer started
};

std::string format_bytes(uint64_t bytes);     // "512.0 MiB"
std::string format_duration(double seconds);  // "0:07", "1:02:03"
std::string format_transfer_bar(const std::string& name, const TransferFigures& figures, int width);
// "VERB NAME: 1.0 MiB in 0.50 s (2.0 MiB/s)"
std::string format_transfer_done(const std::string& name, const TransferFigures& figures,
                                 const std::string& verb = "fetch");

class TransferDisplay {
 public:
  TransferDisplay(Verbosity verbosity, bool terminal);
  static bool stderr_is_terminal();

  void start(const std::string& name, const std::string& verb = "fetch");
  void update(const TransferFigures& figures);  // redraws at most ten times a second
  void done(const TransferFigures& figures);
  void line(const std::string& text);  // a whole line (cache hits, retries)

 private:
  void clear_bar();

  Verbosity verbosity_;
  bool terminal_;
  std::string name_, verb_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace trustnet
