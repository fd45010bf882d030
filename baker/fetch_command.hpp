#pragma once
// `bake fetch NAME... | all` and `bake fetch --url URL --sha256 HEX`: every URL input of the
// recipes into the cache, each digest once, or one pinned file (baker/run/input_fetch does the work).
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_fetch(CLI::App& command);

}  // namespace trustnet::baker
