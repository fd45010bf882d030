#pragma once
// Whole-file reads of small text inputs (recipes, keys), with errors that name the file.
#include <filesystem>
#include <string>

namespace trustnet {

std::string read_text_file(const std::filesystem::path& file);

}  // namespace trustnet
