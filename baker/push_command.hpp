#pragma once
// `bake push`: release folders to a registry, a folder or a web folder (baker/output/push.hpp).
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

CommandRun declare_push(CLI::App& command);

}  // namespace trustnet::baker
