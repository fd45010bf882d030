#pragma once
// What `bake keygen`, `publish`, `verify`, `contents` and `diff` do, behind the command line.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/execute/guest_session.hpp"
#include "baker/publish/release.hpp"

namespace trustnet::baker {

int run_keygen(const std::filesystem::path& private_file);
int run_publish(const std::vector<std::string>& names, const PublishOptions& options, bool json);
int run_verify(const std::filesystem::path& release, const std::filesystem::path& public_key, bool json);

// The content listing of an image (opened read-only with libguestfs), a release manifest (its
// listing file) or an mtree file.
std::string listing_of(const std::filesystem::path& operand, ApplianceAccel accel);
int run_contents(const std::filesystem::path& image, ApplianceAccel accel);
int run_diff(const std::filesystem::path& before, const std::filesystem::path& after, ApplianceAccel accel, bool json);

}  // namespace trustnet::baker
