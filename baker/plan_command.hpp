#pragma once
// `bake plan NAME... | all`: the ordered edits of recipes, printed without touching any image.
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_plan(CLI::App& command);

}  // namespace trustnet::baker
