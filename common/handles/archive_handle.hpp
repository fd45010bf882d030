#pragma once
// RAII owners of libarchive objects.
#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "common/handles/c_handle.hpp"

namespace trustnet {

using ArchiveWriter = CHandle<archive, archive_write_free>;
using ArchiveReader = CHandle<archive, archive_read_free>;
using ArchiveEntry = CHandle<archive_entry, archive_entry_free>;

// libarchive's last error as text: archive_error_string() may return NULL, which fmt refuses.
inline std::string archive_message(archive* handle) {
  const char* text = archive_error_string(handle);
  return text ? text : "libarchive gave no reason";
}

}  // namespace trustnet
