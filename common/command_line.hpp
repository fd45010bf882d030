#pragma once
// What both programs' main() do around their work: CLI11 parsing (0 for --help and --version,
// 2 for usage errors), and one line per error with the exit status it calls for.
#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>

#include "common/error.hpp"

namespace trustnet {

// Prints the error's one line (prefixed with `program` when it has no place or context) and
// returns its exit status: 128 + signal after SIGINT/SIGTERM.
int report_error(const Error& error, std::string_view program);

int run_command_line(CLI::App& app, int argc, char** argv, std::string_view program, const std::function<int()>& work);

}  // namespace trustnet
