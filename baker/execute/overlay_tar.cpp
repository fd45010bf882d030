#include "baker/execute/overlay_tar.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

std::string join_image_path(const std::string& destination, const std::string& relative) {
  return destination == "/" ? "/" + relative : destination + "/" + relative;
}

void check_archive(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_OK) throw Error(fmt::format("{}: {}", what, archive_message(a)));
}

}  // namespace

uint32_t image_mode(const fs::path& source_file, const struct stat& st, const std::string& image_path,
                    const std::map<std::string, uint32_t>& modes) {
  if (auto named = modes.find(image_path); named != modes.end()) return named->second;
  const uint32_t found = st.st_mode & 07777;
  if (found & (S_ISUID | S_ISGID | S_ISVTX | S_IWOTH))
    throw Error(
        fmt::format(
            "overlay {} {} has mode {:04o} (setuid, setgid, sticky or world-writable); name the mode of {} under the "
            "overlay's modes if it must be so",
            S_ISDIR(st.st_mode) ? "folder" : "file", source_file.string(), found, image_path),
        ExitCode::bad_input);
  return S_ISDIR(st.st_mode) || (st.st_mode & S_IXUSR) ? 0755 : 0644;
}

OverlayArchive read_overlay(const fs::path& source, const std::string& destination,
                            const std::map<std::string, uint32_t>& modes) {
  if (!fs::is_directory(source)) throw Error(fmt::format("overlay folder {} does not exist", source.string()));
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(source); it != fs::recursive_directory_iterator(); ++it)
    paths.push_back(it->path());
  std::sort(paths.begin(), paths.end());

  OverlayArchive result;
  for (const auto& path : paths) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw Error(fmt::format("cannot stat {}", path.string()));
    OverlayEntry entry;
    entry.source = path;
    entry.path = join_image_path(destination, path.lexically_relative(source).generic_string());
    entry.mode = S_ISLNK(st.st_mode) ? 0777 : image_mode(path, st, entry.path, modes);
    entry.mtime = st.st_mtime;
    if (S_ISDIR(st.st_mode)) {
      entry.kind = OverlayEntry::Kind::directory;
      result.directories.push_back(entry);
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      entry.kind = OverlayEntry::Kind::symlink;
      entry.link_target = fs::read_symlink(path).string();
    } else if (S_ISREG(st.st_mode)) {
      entry.size = static_cast<uint64_t>(st.st_size);
      entry.sha256 = sha256_file(path);
    } else {
      throw Error(fmt::format("overlay {}: {} is neither a file, a folder nor a symlink", source.string(),
                              path.lexically_relative(source).string()));
    }
    result.entries.push_back(entry);
  }
  for (const auto& named : modes) {
    const std::string& path = named.first;
    auto held = [&](const OverlayEntry& e) { return e.path == path; };
    if (std::none_of(result.entries.begin(), result.entries.end(), held) &&
        std::none_of(result.directories.begin(), result.directories.end(), held))
      throw Error(fmt::format("the overlay {} names a mode for {}, which it does not hold", source.string(), path),
                  ExitCode::bad_input);
  }
  return result;
}

OverlayArchive write_overlay_tar(const fs::path& source, const std::string& destination, uint32_t uid, uint32_t gid,
                                 const fs::path& tar_file, std::optional<int64_t> source_date_epoch,
                                 const std::map<std::string, uint32_t>& modes) {
  OverlayArchive result = read_overlay(source, destination, modes);

  ArchiveWriter writer(archive_write_new());
  if (!writer) throw Error("libarchive: cannot create a writer");
  check_archive(writer.get(), archive_write_set_format_pax_restricted(writer.get()), "tar format");
  check_archive(writer.get(), archive_write_open_filename(writer.get(), tar_file.c_str()),
                fmt::format("create {}", tar_file.string()));

  std::vector<char> buffer(1 << 16);
  for (auto& entry : result.entries) {
    const std::string relative = entry.source.lexically_relative(source).generic_string();
    ArchiveEntry header(archive_entry_new());
    archive_entry_set_pathname(header.get(), relative.c_str());
    archive_entry_set_perm(header.get(), entry.mode);
    // Numeric ids only: with no names, tar in the appliance cannot map them to its own accounts.
    archive_entry_set_uid(header.get(), uid);
    archive_entry_set_gid(header.get(), gid);
    archive_entry_set_mtime(header.get(), source_date_epoch.value_or(entry.mtime), 0);
    if (entry.kind == OverlayEntry::Kind::symlink) {
      archive_entry_set_filetype(header.get(), AE_IFLNK);
      archive_entry_set_symlink(header.get(), entry.link_target.c_str());
      check_archive(writer.get(), archive_write_header(writer.get(), header.get()), fmt::format("add {}", relative));
      continue;
    }
    archive_entry_set_filetype(header.get(), AE_IFREG);
    archive_entry_set_size(header.get(), static_cast<la_int64_t>(entry.size));
    check_archive(writer.get(), archive_write_header(writer.get(), header.get()), fmt::format("add {}", relative));
    // What goes into the image is what was hashed: a file changed in between fails the bake.
    std::ifstream in(entry.source, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {}", entry.source.string()));
    Sha256 hash;
    uint64_t written = 0;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      auto n = static_cast<size_t>(in.gcount());
      hash.update(buffer.data(), n);
      written += n;
      if (archive_write_data(writer.get(), buffer.data(), n) != static_cast<la_ssize_t>(n))
        check_archive(writer.get(), ARCHIVE_FATAL, fmt::format("write {}", relative));
    }
    if (written != entry.size || hash.hex_digest() != entry.sha256)
      throw Error(fmt::format("overlay file {} changed while the bake read it", entry.source.string()));
  }
  check_archive(writer.get(), archive_write_close(writer.get()), fmt::format("finish {}", tar_file.string()));
  return result;
}

}  // namespace trustnet::baker
