#include "baker/execute/root_filesystem.hpp"

#include <fmt/format.h>

#include "common/transfer/transfer_display.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {

void refuse_oversized(const std::string& path, uint64_t size) {
  throw Error(
      fmt::format("read {}: it holds {}, more than the {} a file the bake reads to edit may hold; the base is "
                  "damaged or hostile",
                  path, format_bytes(size), format_bytes(kMaxReadFile)));
}

}  // namespace trustnet::baker
