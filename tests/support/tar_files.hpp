#pragma once
// The regular files of a tar archive and their contents, read with libarchive.
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "common/handles/archive_handle.hpp"

namespace trustnet::test {

inline std::map<std::string, std::string> read_tar(const std::filesystem::path& tarball) {
  ArchiveReader reader(archive_read_new());
  archive_read_support_format_all(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_filename(reader.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error("cannot open " + tarball.string());
  std::map<std::string, std::string> files;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string content;
    char buffer[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0)
      content.append(buffer, static_cast<size_t>(n));
    files[archive_entry_pathname(entry)] = std::move(content);
  }
  return files;
}

}  // namespace trustnet::test
