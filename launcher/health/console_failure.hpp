#pragma once
// What an appliance's console says went wrong in it, for a launcher that would otherwise only
// see a service that never answers: the appliance's own scripts' errors (`trustnet-state: error:
// …`, `trustnet-firstboot: error: …`), OpenRC's (` * ERROR: caddy failed to start`) and the
// kernel's panic (`Kernel panic - not syncing: …`).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet::launcher {

// The last such line of `console`, from its program's name or OpenRC's "ERROR:" on, without
// terminal colours, printable and at most 300 characters; nothing when there is none.
std::optional<std::string> console_failure(std::string_view console);

// The same of the last 256 KiB of a console log file; nothing when it cannot be read.
std::optional<std::string> console_failure_in(const std::filesystem::path& log);

}  // namespace trustnet::launcher
