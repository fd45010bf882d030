#pragma once
// The golden image's content listing derived from the base's and the bake's own edits: the
// bake knows every file it wrote, removed, chmodded or linked, so it need not read the root back.
// A VM test holds the derived listing equal to the one read back from the image.
#include "baker/execute/tree_edit.hpp"
#include "baker/output/content_listing.hpp"

namespace trustnet::baker {

void apply_tree_edits(Listing& listing, const TreeEdits& edits);

}  // namespace trustnet::baker
