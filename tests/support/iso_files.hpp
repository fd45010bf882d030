#pragma once
// The entries of an ISO 9660 image as libarchive reads them (Rock Ridge names and modes).
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "common/handles/archive_handle.hpp"

namespace trustnet::test {

struct IsoEntry {
  std::string content;
  uint32_t mode = 0;
  bool directory = false;
};

inline std::map<std::string, IsoEntry> read_iso(const std::filesystem::path& iso) {
  ArchiveReader reader(archive_read_new());
  archive_read_support_format_iso9660(reader.get());
  if (archive_read_open_filename(reader.get(), iso.c_str(), 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error("cannot open " + iso.string());
  std::map<std::string, IsoEntry> entries;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    IsoEntry e;
    e.mode = archive_entry_perm(entry);
    e.directory = archive_entry_filetype(entry) == AE_IFDIR;
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0)
      e.content.append(buffer, static_cast<size_t>(n));
    std::string name = archive_entry_pathname(entry);
    if (!name.empty() && name.back() == '/') name.pop_back();
    entries[name] = e;
  }
  return entries;
}

}  // namespace trustnet::test
