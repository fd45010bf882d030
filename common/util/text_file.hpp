#pragma once
// Whole-file reads of small inputs (recipes, configurations, keys), with errors that name the
// file. Only regular files are read (a FIFO or a device would hang or never end), up to a limit.
#include <cstdint>
#include <filesystem>
#include <string>

namespace trustnet {

constexpr uint64_t kDefaultReadLimit = uint64_t{1} << 30;

// The file's bytes; an Error (bad input) when it is not a regular file or is longer than `limit`.
std::string read_text_file(const std::filesystem::path& file, uint64_t limit = kDefaultReadLimit);

// A file holding a secret (a private key, a password): as read_text_file, and it must not be a
// symbolic link, must be owned by the caller, and neither group nor others may read or write it;
// otherwise an Error naming the file and what is wrong, never its content.
std::string read_secret_file(const std::filesystem::path& file, uint64_t limit = 1 << 20);

}  // namespace trustnet
