#pragma once
// What a bake did to the image's tree, in order: every file, folder and link it made or changed,
// with the attributes they ended with, and what it removed. Applied to the base's content
// listing it gives the golden image's without reading the image back (publish/derived_listing).
#include <cstdint>
#include <string>
#include <vector>

namespace trustnet::baker {

struct TreeEdit {
  enum class Kind {
    file,         // exists now with this content, mode and owner
    directory,    // exists now with this mode and owner
    symlink,      // exists now pointing at `target`
    remove,       // gone (a file or a link)
    remove_tree,  // gone with everything under it
  };
  Kind kind = Kind::file;
  std::string path;  // absolute in the image
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t size = 0;   // files
  std::string sha256;  // files
  std::string target;  // symlinks

  static TreeEdit file(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t size, std::string sha256) {
    return {Kind::file, std::move(path), mode, uid, gid, size, std::move(sha256), {}};
  }
  static TreeEdit directory(std::string path, uint32_t mode, uint32_t uid, uint32_t gid) {
    return {Kind::directory, std::move(path), mode, uid, gid, 0, {}, {}};
  }
  static TreeEdit symlink(std::string path, uint32_t uid, uint32_t gid, std::string target) {
    return {Kind::symlink, std::move(path), 0777, uid, gid, 0, {}, std::move(target)};
  }
  static TreeEdit removed(std::string path) { return {Kind::remove, std::move(path), 0, 0, 0, 0, {}, {}}; }
  static TreeEdit removed_tree(std::string path) { return {Kind::remove_tree, std::move(path), 0, 0, 0, 0, {}, {}}; }
};

using TreeEdits = std::vector<TreeEdit>;

}  // namespace trustnet::baker
