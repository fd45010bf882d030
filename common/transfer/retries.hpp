#pragma once
// Another attempt after a transient failure: the connection failed or the server answered 408,
// 425, 429 or 5xx. Bounded, with doubling waits that an interruption cuts short.
#include <fmt/format.h>

#include <chrono>
#include <string>

#include "common/transfer/transfer_display.hpp"
#include "common/util/error.hpp"

namespace trustnet {

// A failure worth another attempt.
class TransientFailure : public Error {
 public:
  using Error::Error;
};

// Waits `duration`, checking for an interruption every 50 ms.
void sleep_interruptibly(std::chrono::milliseconds duration);

// Runs `attempt` up to `attempts` times while it throws TransientFailure, telling `display`
// about each retry; the last failure is rethrown with how many attempts were made.
template <class Attempt>
auto retry_transient(Attempt attempt, const std::string& what, TransferDisplay& display, int attempts = 4,
                     std::chrono::milliseconds backoff = std::chrono::milliseconds(500)) {
  for (int number = 1;; ++number) {
    try {
      return attempt();
    } catch (const TransientFailure& failure) {
      if (number >= attempts) throw Error(fmt::format("{} (gave up after {} attempts)", failure.what(), attempts));
      display.line(fmt::format("{}: attempt {} of {} failed ({}); retrying in {:.1f} s", what, number, attempts,
                               failure.what(), static_cast<double>(backoff.count()) / 1000));
      sleep_interruptibly(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
    }
  }
}

}  // namespace trustnet
