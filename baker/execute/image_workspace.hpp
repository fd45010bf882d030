#pragma once
// The disk files around a bake: verifying the inputs, making the working copy at the
// recipe's size. The base is only ever read.
#include <cstdint>
#include <filesystem>
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

// Throws when the file is missing or its SHA-256 differs from the pin; `what` names the input.
void verify_sha256(const std::filesystem::path& file, const std::string& expected, const std::string& what);

uint64_t virtual_size(const std::filesystem::path& image, const std::string& format);

// Checks the base is in `format`, reads no other file, and fits a disk of `size` bytes; returns
// its virtual size.
uint64_t check_base_image(const std::filesystem::path& base, const std::string& format, uint64_t size);

// Copies the base (checked by check_base_image) to `work_image` as qcow2 and grows its virtual disk to `size` bytes.
void make_working_copy(const std::filesystem::path& base, const std::string& format,
                       const std::filesystem::path& work_image, uint64_t size);

}  // namespace trustnet::baker
