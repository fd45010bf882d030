#include "baker/output/derived_listing.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::baker {

namespace {

std::string listed_path(const std::string& image_path) {
  if (image_path.empty() || image_path[0] != '/')
    throw Error(fmt::format("the bake edited '{}', which is not an absolute path", image_path));
  return image_path == "/" ? "." : "." + image_path;
}

ListedFile entry(const TreeEdit& edit, const char* type) {
  ListedFile file;
  file.keywords = {{"type", type},
                   {"mode", fmt::format("{:o}", edit.mode)},
                   {"uid", std::to_string(edit.uid)},
                   {"gid", std::to_string(edit.gid)}};
  return file;
}

}  // namespace

void apply_tree_edits(Listing& listing, const TreeEdits& edits) {
  for (const auto& edit : edits) {
    const std::string path = listed_path(edit.path);
    switch (edit.kind) {
      case TreeEdit::Kind::file:
      case TreeEdit::Kind::emptied: {
        ListedFile file = entry(edit, "file");
        file.keywords["size"] = std::to_string(edit.size);
        file.keywords["sha256digest"] = edit.sha256;
        listing[path] = std::move(file);
        break;
      }
      case TreeEdit::Kind::directory: listing[path] = entry(edit, "dir"); break;
      case TreeEdit::Kind::symlink: {
        ListedFile link = entry(edit, "link");
        link.keywords["mode"] = "777";
        link.keywords["link"] = edit.target;
        listing[path] = std::move(link);
        break;
      }
      case TreeEdit::Kind::remove: listing.erase(path); break;
      case TreeEdit::Kind::remove_tree: {
        listing.erase(path);
        const std::string prefix = path + "/";
        for (auto it = listing.lower_bound(prefix); it != listing.end() && it->first.starts_with(prefix);)
          it = listing.erase(it);
        break;
      }
    }
  }
}

}  // namespace trustnet::baker
