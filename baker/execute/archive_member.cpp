#include "baker/execute/archive_member.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <vector>

#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {
namespace {

// The name an unpacking tool would use: "." and empty parts dropped, ".." resolved lexically
// and clamped at the top, a leading "/" removed. "../x", "/x" and "./x" all name "x".
std::string lexical_name(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = std::min(name.find('/', start), name.size());
    std::string part = name.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  return fmt::format("{}", fmt::join(parts, "/"));
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

std::string extract_member(const std::filesystem::path& archive_file, const std::string& member,
                           const std::filesystem::path& out) {
  ArchiveReader reader(archive_read_new());
  if (!reader) throw Error("libarchive: cannot create a reader");
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());
  if (archive_read_open_filename(reader.get(), archive_file.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error(fmt::format("cannot open archive {}: {}", archive_file.string(), archive_message(reader.get())));
  const std::string wanted = lexical_name(member);
  const std::string where = fmt::format("archive {}", archive_file.string());
  std::optional<std::string> digest;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* raw_name = archive_entry_pathname(entry);
    const std::string raw = raw_name ? raw_name : "";
    if (lexical_name(raw) != wanted) continue;
    if (escapes(raw))
      throw Error(fmt::format("{}: member {} is stored as '{}', a path that escapes the archive", where, member, raw));
    if (digest) throw Error(fmt::format("{}: member {} appears more than once", where, member));
    if (archive_entry_hardlink(entry) || archive_entry_symlink(entry))
      throw Error(fmt::format("{}: member {} is a link, not a regular file", where, member));
    if (archive_entry_filetype(entry) != AE_IFREG)
      throw Error(fmt::format("{}: member {} is not a regular file (a link or a folder)", where, member));
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    if (!file) throw Error(fmt::format("cannot create {}", out.string()));
    Sha256 hash;
    char buffer[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) {
      hash.update(buffer, static_cast<size_t>(n));
      file.write(buffer, n);
    }
    if (n < 0) throw Error(fmt::format("{}: reading {}: {}", where, member, archive_message(reader.get())));
    file.close();
    if (!file) throw Error(fmt::format("cannot write {}", out.string()));
    // Read on to the end: a second entry of the same name would replace this one when unpacked.
    digest = hash.hex_digest();
  }
  if (rc != ARCHIVE_EOF) throw Error(fmt::format("{}: {}", where, archive_message(reader.get())));
  if (!digest) throw Error(fmt::format("{} has no member {}", where, member));
  return *digest;
}

}  // namespace trustnet::baker
