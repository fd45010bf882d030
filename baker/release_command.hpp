#pragma once
// `bake keygen`, `publish`, `verify`, `contents` and `diff`: their options, and what they print.
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_keygen(CLI::App& command);
CommandRun declare_publish(CLI::App& command);
CommandRun declare_verify(CLI::App& command);
CommandRun declare_contents(CLI::App& command);
CommandRun declare_diff(CLI::App& command);

}  // namespace trustnet::baker
