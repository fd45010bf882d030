#include "launcher/identity/seed_disk.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include "common/handles/archive_handle.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {

bool plain_word(const std::string& word) {
  return !word.empty() && word.find_first_of(" \t\n\r\\\"'$`") == std::string::npos;
}

void check_path(const std::string& path) {
  if (path.empty() || path.front() != '/' || !plain_word(path) || path.back() == '/')
    throw Error(fmt::format("seed file '{}' must be an absolute path without spaces or quotes", path));
  for (const auto& part : fs::path(path))
    if (part == "..") throw Error(fmt::format("seed file '{}' must not contain '..'", path));
}

void check(archive* a, int rc, const std::string& what) {
  if (rc != ARCHIVE_OK) throw Error(fmt::format("libarchive: {}: {}", what, archive_message(a)));
}

void add(archive* a, const std::string& name, mode_t type, uint32_t mode, const std::string& content = "") {
  ArchiveEntry entry(archive_entry_new());
  if (!entry) throw Error("libarchive: cannot create an entry");
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), mode);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_mtime(entry.get(), 0, 0);  // the same identity gives the same files
  archive_entry_set_size(entry.get(), type == AE_IFREG ? static_cast<la_int64_t>(content.size()) : 0);
  check(a, archive_write_header(a, entry.get()), "write the header of " + name);
  if (!content.empty() &&
      archive_write_data(a, content.data(), content.size()) != static_cast<la_ssize_t>(content.size()))
    throw Error(fmt::format("libarchive: write {}: {}", name, archive_message(a)));
}

}  // namespace

std::string seed_manifest(const Seed& seed) {
  std::string manifest;
  std::set<std::string> seen;
  for (const auto& file : seed.files) {
    check_path(file.path);
    if (!seen.insert(file.path).second) throw Error(fmt::format("seed file '{}' appears twice", file.path));
    if (!plain_word(file.owner) || !plain_word(file.group))
      throw Error(fmt::format("seed file '{}' has an unusable owner '{}:{}'", file.path, file.owner, file.group));
    if (file.mode > 07777) throw Error(fmt::format("seed file '{}' has mode {:o}", file.path, file.mode));
    manifest += fmt::format("{:04o} {} {} {}\n", file.mode, file.owner, file.group, file.path);
  }
  return manifest;
}

void write_seed_iso(const fs::path& iso, const Seed& seed) {
  if (!plain_word(seed.hostname)) throw Error(fmt::format("'{}' cannot be a seed's host name", seed.hostname));
  const std::string manifest = seed_manifest(seed);
  TemporaryPath temporary(iso);
  {
    ArchiveWriter writer(archive_write_new());
    archive* a = writer.get();
    if (!a) throw Error("libarchive: cannot create a writer");
    check(a, archive_write_set_format_iso9660(a), "choose ISO 9660");
    check(a, archive_write_set_format_option(a, "iso9660", "volume-id", kSeedLabel), "set the volume label");
    // Rock Ridge "strict" keeps each file's mode: private keys stay 0600 even on the mounted disk.
    check(a, archive_write_set_format_option(a, "iso9660", "rockridge", "strict"), "enable Rock Ridge");
    check(a, archive_write_open_filename(a, temporary.path().c_str()), "create " + temporary.path().string());
    std::set<std::string> directories;
    auto add_parents = [&](const fs::path& path) {
      fs::path partial;
      for (const auto& part : path.parent_path()) {
        partial /= part;
        if (directories.insert(partial.string()).second) add(a, partial.string(), AE_IFDIR, 0755);
      }
    };
    add_parents("trustnet/x");
    add(a, "trustnet/hostname", AE_IFREG, 0444, seed.hostname + "\n");
    add(a, "trustnet/address", AE_IFREG, 0444, seed.address + "\n");
    add(a, "trustnet/manifest", AE_IFREG, 0444, manifest);
    for (const auto& file : seed.files) {
      const std::string name = "files" + file.path;
      add_parents(name);
      add(a, name, AE_IFREG, file.mode & 0777, file.content);
    }
    check(a, archive_write_close(a), "finish " + temporary.path().string());
  }
  if (::chmod(temporary.path().c_str(), 0600) != 0)
    throw Error(fmt::format("cannot chmod {}", temporary.path().string()));
  temporary.commit();
}

}  // namespace trustnet::launcher
