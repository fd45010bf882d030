#pragma once
// libext2fs handles. Ext2Filesystem frees an open filesystem without writing what is pending (the
// path of an error); closing it for good is ext2fs_close2, checked, then release(). Ext2File
// closes an open file (its last write checked by the caller through ext2fs_file_flush first).
#include <ext2fs/ext2fs.h>

#include "common/handles/c_handle.hpp"

namespace trustnet {

using Ext2Filesystem = CHandle<struct_ext2_filsys, ext2fs_free>;

inline void close_ext2_file(struct ext2_file* file) { (void)ext2fs_file_close(file); }
using Ext2File = CHandle<struct ext2_file, close_ext2_file>;

// An inode's extended attributes as read; what a change wrote is written by ext2fs_xattrs_write
// (ext2fs_xattr_remove does so itself) before this frees the handle.
inline void close_ext2_xattrs(struct ext2_xattr_handle* handle) { (void)ext2fs_xattrs_close(&handle); }
using Ext2Xattrs = CHandle<struct ext2_xattr_handle, close_ext2_xattrs>;

}  // namespace trustnet
