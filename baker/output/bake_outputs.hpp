#pragma once
// Where a bake of NAME writes in its out folder: the golden image, its report and content listing
// (what `bake publish` reads), the lock that one bake holds at a time, and its scratch files.
#include <filesystem>
#include <string>
#include <vector>

namespace trustnet::baker {

struct BakeOutputs {
  std::filesystem::path image, report, listing;
  std::filesystem::path lock;
  std::filesystem::path base_tar,
      direct_disk;  // the base's root packed for its listing; the direct engine's split disk

  static BakeOutputs in(const std::filesystem::path& out_dir, const std::string& name) {
    return {out_dir / (name + ".qcow2"),      out_dir / (name + ".report.json"), out_dir / (name + ".mtree"),
            out_dir / ("." + name + ".lock"), out_dir / (name + ".root.tar"),    out_dir / (name + ".disk")};
  }
  // What a bake killed midway may have left temporaries of.
  std::vector<std::filesystem::path> written() const { return {image, report, listing, base_tar, direct_disk}; }
};

}  // namespace trustnet::baker
