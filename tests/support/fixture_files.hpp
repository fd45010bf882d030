#pragma once
// Files of the Alpine minirootfs fixture, read straight from its tarball.
#include <string>

#include "baker/execute/archive_member.hpp"
#include "common/util/text_file.hpp"
#include "temp_dir.hpp"
#include "test_paths.hpp"

namespace trustnet::test {

inline std::string fixture_file(const std::string& member) {
  TempDir dir;
  baker::extract_member(minirootfs(), member, dir / "member");
  return read_text_file(dir / "member");
}

}  // namespace trustnet::test
