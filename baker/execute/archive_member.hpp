#pragma once
// Reads one file out of a release archive (.tar.gz, .zip, ...) as a stream, never unpacking the
// rest to disk. The member must be a regular file; links and escaping names are refused.
#include <filesystem>
#include <string>

namespace trustnet::baker {

// Writes the member's bytes to `out` and returns their SHA-256.
std::string extract_member(const std::filesystem::path& archive_file, const std::string& member,
                           const std::filesystem::path& out);

}  // namespace trustnet::baker
