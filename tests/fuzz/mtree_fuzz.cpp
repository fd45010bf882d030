// The content listing reader (mtree text, as `bake diff` and `bake verify` read it from releases,
// and `bake` reads the base's listing from its cache), and the renderer: whatever it reads renders
// to text that reads back the same and renders the same again.
#include <cstdlib>

#include "baker/output/content_listing.hpp"
#include "common/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trustnet::baker;
  Listing listing;
  try {
    listing = parse_mtree(std::string(reinterpret_cast<const char*>(data), size), "fuzz.mtree");
  } catch (const trustnet::Error&) {
    return 0;
  }
  const std::string text = render_mtree(listing);
  const Listing again = parse_mtree(text, "rendered.mtree");  // an Error here is a finding: it escapes
  if (!diff_listings(listing, again).empty() || render_mtree(again) != text) std::abort();
  return 0;
}
