#include "baker/execute/archive_member.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <fstream>

#include "baker/execute/archive_handle.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"

namespace trustnet::baker {
namespace {

std::string normal_name(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  return name;
}

bool escapes(const std::string& name) {
  if (name.empty() || name.front() == '/') return true;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    if (name.substr(start, slash - start) == "..") return true;
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

}  // namespace

std::string extract_member(const std::filesystem::path& archive_file, const std::string& member, const std::filesystem::path& out) {
  ArchiveReader reader(archive_read_new());
  if (!reader) throw Error("libarchive: cannot create a reader");
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());
  if (archive_read_open_filename(reader.get(), archive_file.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error(fmt::format("cannot open archive {}: {}", archive_file.string(), archive_error_string(reader.get())));
  const std::string wanted = normal_name(member);
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* raw = archive_entry_pathname(entry);
    std::string name = normal_name(raw ? raw : "");
    if (name != wanted) continue;
    if (escapes(std::string(raw ? raw : "")))
      throw Error(fmt::format("archive {}: member {} has a path that escapes the archive", archive_file.string(), raw));
    if (archive_entry_filetype(entry) != AE_IFREG)
      throw Error(fmt::format("archive {}: member {} is not a regular file (a link or a folder)", archive_file.string(), member));
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    if (!file) throw Error(fmt::format("cannot create {}", out.string()));
    Sha256 hash;
    char buffer[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) {
      hash.update(buffer, static_cast<size_t>(n));
      file.write(buffer, n);
    }
    if (n < 0) throw Error(fmt::format("archive {}: reading {}: {}", archive_file.string(), member, archive_error_string(reader.get())));
    file.close();
    if (!file) throw Error(fmt::format("cannot write {}", out.string()));
    return hash.hex_digest();
  }
  if (rc != ARCHIVE_EOF)
    throw Error(fmt::format("archive {}: {}", archive_file.string(), archive_error_string(reader.get())));
  throw Error(fmt::format("archive {} has no member {}", archive_file.string(), member));
}

}  // namespace trustnet::baker
