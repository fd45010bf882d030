#pragma once
// A root filesystem in memory, for running the executor's steps in unit tests without any image:
// paths resolve through its own symbolic links like the other engines', files of several names
// share one inode, and it packs and unpacks tar archives. Loaded from the Alpine minirootfs
// fixture, it is a real Alpine tree.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "baker/execute/path_glob.hpp"
#include "baker/execute/root_filesystem.hpp"
#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"

namespace trustnet::test {

class MemoryRoot final : public baker::RootFilesystem {
 public:
  MemoryRoot() { nodes_["/"] = std::make_shared<Inode>(Inode{kDir | 0755, 0, 0, {}, 0}); }

  // A tar (compressed or not) unpacked as root would: owners, modes, links and hard links kept.
  static MemoryRoot from_tar(const std::filesystem::path& tar) {
    MemoryRoot root;
    root.read_tar(tar, "/", true);
    return root;
  }

  bool exists(const std::string& path) override { return resolve(path, true).has_value(); }
  bool is_dir(const std::string& path) override { return is(path, kDir); }
  bool is_symlink(const std::string& path) override { return is(path, kLink); }
  std::optional<std::string> read_through_links(const std::string& path, size_t limit) override {
    const auto where = resolve(path, true);
    if (!where || (nodes_.at(*where)->mode & kType) != kFile) return std::nullopt;
    return nodes_.at(*where)->data.substr(0, limit);
  }
  std::optional<std::string> read_file(const std::string& path) override {
    if (!is(path, kFile)) return std::nullopt;
    return nodes_.at(*resolve(path, false))->data;
  }
  void write_file(const std::string& path, const std::string& content) override { put(path, content, true); }
  void upload(const std::filesystem::path& local, const std::string& path) override {
    std::ifstream in(local, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {}", local.string()));
    std::ostringstream content;
    content << in.rdbuf();
    put(path, content.str(), true);
  }
  void mkdir(const std::string& path) override {
    const std::string where = parent_path(path);
    if (nodes_.contains(where)) throw Error(fmt::format("mkdir {}: it exists", path));
    nodes_[where] = std::make_shared<Inode>(Inode{kDir | 0755, 0, 0, {}, 0});
  }
  void chmod(uint32_t mode, const std::string& path) override {
    Inode& node = at(path, true);
    node.mode = (node.mode & kType) | (mode & 07777);
  }
  void lchown(uint32_t uid, uint32_t gid, const std::string& path) override {
    Inode& node = at(path, false);
    node.uid = uid;
    node.gid = gid;
    if ((node.mode & kType) != kDir) node.mode &= ~06000u;
  }
  void symlink(const std::string& target, const std::string& link) override {
    if (is_dir(link)) throw Error(fmt::format("symlink {}: it is a folder", link));
    remove(link);
    nodes_[parent_path(link)] = std::make_shared<Inode>(Inode{kLink | 0777, 0, 0, target, 0});
  }
  std::vector<std::string> glob(const std::string& pattern) override {
    baker::GlobTree tree;
    tree.list = [this](const std::string& folder) -> std::optional<std::vector<std::string>> {
      auto where = resolve(folder, true);
      if (!where || (nodes_.at(*where)->mode & kType) != kDir) return std::nullopt;
      std::vector<std::string> names;
      for (const auto& child : children(*where)) names.push_back(std::filesystem::path(child).filename().string());
      return names;
    };
    tree.exists = [this](const std::string& path) { return resolve(path, false).has_value(); };
    return baker::expand_glob(pattern, tree);
  }
  void remove(const std::string& path) override {
    auto where = resolve(path, false);
    if (!where) return;
    if ((nodes_.at(*where)->mode & kType) == kDir) throw Error(fmt::format("remove {}: it is a folder", path));
    nodes_.erase(*where);
  }
  void remove_tree(const std::string& path) override {
    auto where = resolve(path, false);
    if (!where) return;
    std::erase_if(nodes_,
                  [&](const auto& node) { return node.first == *where || node.first.starts_with(*where + "/"); });
  }
  void truncate(const std::string& path) override { at(path, true).data.clear(); }
  baker::RootStat lstat(const std::string& path) override {
    auto where = resolve(path, false);
    if (!where) throw Error(fmt::format("lstat {}: no such file", path));
    const auto& node = nodes_.at(*where);
    const auto links = std::count_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.second == node; });
    return {node->mode, node->uid, node->gid, node->data.size(), static_cast<uint32_t>(links)};
  }
  void set_times(const std::string& path, int64_t seconds) override { at(path, true).mtime = seconds; }
  void unpack_tar(const std::filesystem::path& tar, const std::string& directory) override {
    read_tar(tar, directory, false);
  }
  void pack_tar(const std::filesystem::path& tar) override {
    ArchiveWriter writer(archive_write_new());
    ArchiveEntry entry(archive_entry_new());
    archive_write_set_format_pax_restricted(writer.get());
    if (archive_write_open_filename(writer.get(), tar.c_str()) != ARCHIVE_OK)
      throw Error("cannot write " + tar.string());
    std::map<const Inode*, std::string> first;
    for (const auto& [path, node] : nodes_) {
      archive_entry_clear(entry.get());
      archive_entry_set_pathname(entry.get(), path == "/" ? "./" : ("." + path).c_str());
      archive_entry_set_mode(entry.get(), node->mode);
      archive_entry_set_uid(entry.get(), node->uid);
      archive_entry_set_gid(entry.get(), node->gid);
      const bool file = (node->mode & kType) == kFile;
      auto [known, inserted] = first.emplace(node.get(), path);
      if (file && !inserted) {
        archive_entry_set_hardlink(entry.get(), ("." + known->second).c_str());
        archive_write_header(writer.get(), entry.get());
        continue;
      }
      if ((node->mode & kType) == kLink) archive_entry_set_symlink(entry.get(), node->data.c_str());
      archive_entry_set_size(entry.get(), file ? static_cast<la_int64_t>(node->data.size()) : 0);
      archive_write_header(writer.get(), entry.get());
      if (file) archive_write_data(writer.get(), node->data.data(), node->data.size());
    }
    archive_write_close(writer.get());
  }
  std::vector<std::string> other_names(const std::string& path) override {
    auto where = resolve(path, true);
    if (!where) return {};
    std::vector<std::string> names;
    for (const auto& [name, node] : nodes_)
      if (node == nodes_.at(*where) && name != *where) names.push_back(name);
    return names;
  }

  // For setting a test up: a hard link, as a base may have.
  void link(const std::string& existing, const std::string& name) { nodes_[name] = nodes_.at(existing); }
  int64_t mtime(const std::string& path) { return at(path, false).mtime; }

 private:
  static constexpr uint32_t kType = 0170000, kDir = 0040000, kFile = 0100000, kLink = 0120000;
  struct Inode {
    uint32_t mode = 0, uid = 0, gid = 0;
    std::string data;  // a file's content, a link's target
    int64_t mtime = 0;
  };

  static std::string join(const std::string& folder, const std::string& name) {
    return folder == "/" ? "/" + name : folder + "/" + name;
  }

  std::vector<std::string> children(const std::string& folder) const {
    std::vector<std::string> found;
    const std::string prefix = folder == "/" ? "/" : folder + "/";
    for (const auto& [path, node] : nodes_)
      if (path != "/" && path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos)
        found.push_back(path);
    return found;
  }

  // The stored path a path names, through links as the kernel resolves them.
  std::optional<std::string> resolve(const std::string& path, bool follow_last, int depth = 0) const {
    if (depth > 40) throw Error(fmt::format("too many levels of symbolic links resolving {}", path));
    std::vector<std::string> parts;
    std::stringstream in(path);
    for (std::string part; std::getline(in, part, '/');)
      if (!part.empty() && part != ".") parts.push_back(part);
    std::string at = "/";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i] == "..") {
        at = std::filesystem::path(at).parent_path().string();
        continue;
      }
      const std::string next = join(at, parts[i]);
      auto found = nodes_.find(next);
      if (found == nodes_.end()) return std::nullopt;
      const bool last = i + 1 == parts.size();
      if ((found->second->mode & kType) == kLink && (!last || follow_last)) {
        std::string rest;
        for (size_t j = i + 1; j < parts.size(); ++j) rest += "/" + parts[j];
        const std::string& target = found->second->data;
        return resolve(target.starts_with("/") ? target + rest : join(at, target) + rest, follow_last, depth + 1);
      }
      if (!last && (found->second->mode & kType) != kDir) return std::nullopt;
      at = next;
    }
    return at;
  }

  // Where a new entry named by `path` goes: its folder resolved, its own name kept.
  std::string parent_path(const std::string& path) const {
    const std::filesystem::path p(path);
    auto folder = resolve(p.parent_path().string(), true);
    if (!folder || (nodes_.at(*folder)->mode & kType) != kDir)
      throw Error(fmt::format("{}: its folder does not exist", path));
    return join(*folder, p.filename().string());
  }

  bool is(const std::string& path, uint32_t type) const {
    auto where = resolve(path, false);
    return where && (nodes_.at(*where)->mode & kType) == type;
  }

  Inode& at(const std::string& path, bool follow) {
    auto where = resolve(path, follow);
    if (!where) throw Error(fmt::format("{}: no such file", path));
    return *nodes_.at(*where);
  }

  void put(const std::string& path, const std::string& content, bool follow) {
    auto where = resolve(path, follow);
    if (where && (nodes_.at(*where)->mode & kType) == kLink) {
      nodes_.erase(*where);
      where.reset();
    }
    if (where) {
      Inode& node = *nodes_.at(*where);
      if ((node.mode & kType) != kFile) throw Error(fmt::format("write {}: not a regular file", path));
      node.data = content;  // in place: every name sees it
      return;
    }
    nodes_[parent_path(path)] = std::make_shared<Inode>(Inode{kFile | 0644, 0, 0, content, 0});
  }

  void read_tar(const std::filesystem::path& tar, const std::string& directory, bool compressed) {
    ArchiveReader reader(archive_read_new());
    archive_read_support_format_tar(reader.get());
    if (compressed) archive_read_support_filter_all(reader.get());
    if (archive_read_open_filename(reader.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK)
      throw Error(fmt::format("cannot read {}: {}", tar.string(), archive_message(reader.get())));
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
      std::string name = archive_entry_pathname(entry);
      while (name.starts_with("./")) name.erase(0, 2);
      while (name.ends_with("/")) name.pop_back();
      if (name.empty() || name == ".") continue;
      const std::string path = join(directory, name);
      const uint32_t mode = archive_entry_mode(entry);
      if (const char* target = archive_entry_hardlink(entry)) {
        std::string first = target;
        while (first.starts_with("./")) first.erase(0, 2);
        nodes_[path] = nodes_.at(join(directory, first));
        continue;
      }
      std::string data;
      if ((mode & kType) == kLink) data = archive_entry_symlink(entry);
      if ((mode & kType) == kFile) {
        data.resize(static_cast<size_t>(archive_entry_size(entry)));
        if (!data.empty()) archive_read_data(reader.get(), data.data(), data.size());
        if (!compressed) {  // an overlay: a file there is rewritten in place
          put(path, data, false);
          Inode& node = at(path, false);
          node.mode = mode;
          node.uid = static_cast<uint32_t>(archive_entry_uid(entry));
          node.gid = static_cast<uint32_t>(archive_entry_gid(entry));
          node.mtime = archive_entry_mtime(entry);
          continue;
        }
      }
      if ((mode & kType) == kLink && !compressed) remove(path);
      nodes_[path] = std::make_shared<Inode>(Inode{mode, static_cast<uint32_t>(archive_entry_uid(entry)),
                                                   static_cast<uint32_t>(archive_entry_gid(entry)), data,
                                                   archive_entry_mtime(entry)});
    }
  }

  std::map<std::string, std::shared_ptr<Inode>> nodes_;
};

}  // namespace trustnet::test
