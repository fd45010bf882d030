// Release-archive member extraction on arbitrary bytes (tar, tar.gz, zip, whatever libarchive
// recognises): links, escaping names and damaged streams must end in an Error.
#include "baker/execute/archive_member.hpp"
#include "common/util/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto archive = trustnet::fuzz::write_input("release.tar.gz", data, size);
  try {
    trustnet::baker::extract_member(archive, "cometbft", trustnet::fuzz::work_dir() / "member");
  } catch (const trustnet::Error&) {
  }
  return 0;
}
