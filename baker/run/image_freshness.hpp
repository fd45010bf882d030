#pragma once
// Whether out/NAME.qcow2 is what baking a prepared recipe would make now (see
// output/up_to_date.hpp).
#include <filesystem>
#include <string>

#include "baker/run/prepared_bake.hpp"

namespace trustnet::baker {

struct ImageFreshness {
  std::string name;
  std::filesystem::path image, report;
  bool exists = false, up_to_date = false;
  std::string reason;
};

// With `force` nothing is hashed (a check can cost a hash of the whole image): the reason is
// "--force".
ImageFreshness image_freshness(const PreparedBake& prepared, const std::filesystem::path& out_dir, bool force);

}  // namespace trustnet::baker
