#pragma once
// RAII owners of libarchive objects.
#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

namespace trustnet {

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveEntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteDeleter>;
using ArchiveReader = std::unique_ptr<archive, ArchiveReadDeleter>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryDeleter>;

// libarchive's last error as text: archive_error_string() may return NULL, which fmt refuses.
inline std::string archive_message(archive* handle) {
  const char* text = archive_error_string(handle);
  return text ? text : "libarchive gave no reason";
}

}  // namespace trustnet
