#include "common/transfer/retries.hpp"

#include <algorithm>
#include <thread>

#include "common/util/interrupt.hpp"

namespace trustnet {

void sleep_interruptibly(std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    interrupt::throw_if_requested();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

}  // namespace trustnet
