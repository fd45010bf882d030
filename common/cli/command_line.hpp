#pragma once
// What both programs' main() do around their work: CLI11 parsing (0 for --help and --version,
// 2 for usage errors), and one line per error with the exit status it calls for.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "common/util/error.hpp"

namespace trustnet {

// Prints the error's one line (prefixed with `program` when it has no place or context) and
// returns its exit status: 128 + signal after SIGINT/SIGTERM.
int report_error(const Error& error, std::string_view program);

// The one line for an error the standard library threw from the file system (never its raw
// "filesystem error: status: Permission denied [PATH]"): the file, the reason, and the fix.
std::string filesystem_error_line(const std::filesystem::filesystem_error& error, std::string_view program);

// The work a subcommand does once its options are parsed.
using CommandRun = std::function<int()>;

// One row of a program's table of subcommands (as ninja's kTools): `declare` adds the
// subcommand's options to its CLI11 app, bound to state it owns, and returns its work. The row
// with an empty name is the program's default command: its options sit on the program itself.
struct Subcommand {
  std::string_view name;
  std::string_view summary;
  std::function<CommandRun(CLI::App&)> declare;
};

// Declares every row, parses (0 for --help and --version, 2 for usage errors), and runs the
// chosen subcommand's work (the default row's when none is named); an error is reported by
// report_error.
int run_subcommands(CLI::App& app, std::span<const Subcommand> table, int argc, char** argv, std::string_view program);

}  // namespace trustnet
