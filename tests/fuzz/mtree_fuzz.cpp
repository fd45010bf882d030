// The content listing reader (mtree text, as `bake diff` and `bake verify` read it from releases).
#include "baker/publish/content_listing.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    trustnet::baker::parse_mtree(std::string(reinterpret_cast<const char*>(data), size), "fuzz.mtree");
  } catch (const trustnet::Error&) {
  }
  return 0;
}
