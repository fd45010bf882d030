#pragma once
// `bake NAME... | all`, the default command: its options, and the work that bakes what is out of
// date (`--check`: only says what is), fetching missing inputs first (baker/run/ does the work).
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_bake(CLI::App& command);

}  // namespace trustnet::baker
