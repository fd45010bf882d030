#pragma once
// `bake keygen`, `publish`, `verify`, `contents` and `diff`: their options and their work.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/execute/bake_engine.hpp"
#include "baker/execute/guest_session.hpp"
#include "baker/publish/release.hpp"
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_keygen(CLI::App& command);
CommandRun declare_publish(CLI::App& command);
CommandRun declare_verify(CLI::App& command);
CommandRun declare_contents(CLI::App& command);
CommandRun declare_diff(CLI::App& command);

// The content listing of an image (opened read-only with libguestfs), a release manifest (its
// listing file) or an mtree file.
std::string listing_of(const std::filesystem::path& operand, ApplianceAccel accel,
                       BakeEngine engine = BakeEngine::automatic);

}  // namespace trustnet::baker
