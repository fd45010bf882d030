#pragma once
// What a bake did to the image's tree, in order: every file, folder and link it made or changed,
// with the attributes they ended with, and what it removed or emptied. The one journal of a bake:
// applied to the base's content listing it gives the golden image's without reading the image
// back (output/derived_listing), and its recorded entries are the report's files and removals.
#include <cstdint>
#include <string>
#include <vector>

namespace trustnet::baker {

struct TreeEdit {
  enum class Kind {
    file,         // exists now with this content, mode and owner
    directory,    // exists now with this mode and owner
    symlink,      // exists now pointing at `target`
    emptied,      // a file of the base, emptied in place (mode and owner as they were)
    remove,       // gone (a file or a link)
    remove_tree,  // gone with everything under it
  };
  Kind kind = Kind::file;
  std::string path;  // absolute in the image
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t size = 0;   // files
  std::string sha256;  // files
  std::string target;  // symlinks
  // What put it there (recipe, accounts, overlay, binary NAME) and the owner as the recipe named
  // it; empty for what followed from another edit (a folder made on the way, another name of a
  // file rewritten in place): the report lists only what has an origin.
  std::string origin;
  std::string user, group;

  static TreeEdit file(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t size, std::string sha256) {
    return {Kind::file, std::move(path), mode, uid, gid, size, std::move(sha256), {}, {}, {}, {}};
  }
  static TreeEdit directory(std::string path, uint32_t mode, uint32_t uid, uint32_t gid) {
    return {Kind::directory, std::move(path), mode, uid, gid, 0, {}, {}, {}, {}, {}};
  }
  static TreeEdit symlink(std::string path, uint32_t uid, uint32_t gid, std::string target) {
    return {Kind::symlink, std::move(path), 0777, uid, gid, 0, {}, std::move(target), {}, {}, {}};
  }
  static TreeEdit emptied(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, std::string sha256) {
    return {Kind::emptied, std::move(path), mode, uid, gid, 0, std::move(sha256), {}, {}, {}, {}};
  }
  static TreeEdit removed(std::string path) { return {Kind::remove, std::move(path), 0, 0, 0, 0, {}, {}, {}, {}, {}}; }
  static TreeEdit removed_tree(std::string path) {
    return {Kind::remove_tree, std::move(path), 0, 0, 0, 0, {}, {}, {}, {}, {}};
  }

  TreeEdit&& because(std::string what, std::string user_name, std::string group_name) && {
    origin = std::move(what);
    user = std::move(user_name);
    group = std::move(group_name);
    return std::move(*this);
  }
  bool made() const { return kind == Kind::file || kind == Kind::directory || kind == Kind::symlink; }
  bool gone() const { return kind == Kind::remove || kind == Kind::remove_tree || kind == Kind::emptied; }
  const char* type_name() const {
    return kind == Kind::file ? "file" : kind == Kind::directory ? "directory" : kind == Kind::symlink ? "symlink" : "";
  }
};

using TreeEdits = std::vector<TreeEdit>;

}  // namespace trustnet::baker
