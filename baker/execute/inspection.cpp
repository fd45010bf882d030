#include "baker/execute/inspection.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::baker {

void check_alpine_aarch64(const Inspection& found) {
  if (found.type != "linux" || found.distro != "alpinelinux")
    throw Error(
        fmt::format("the base image holds {} ({} {}), not Alpine Linux", found.product, found.type, found.distro));
  if (found.arch != "aarch64")
    throw Error(fmt::format("the base image is Alpine Linux for {}, not aarch64", found.arch));
}

}  // namespace trustnet::baker
