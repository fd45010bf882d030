#pragma once
// Runs a helper program to completion and captures its output. The only place that spawns
// processes; an interrupt (see interrupt.hpp) stops the child.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trustnet {

struct ProcessResult {
  int exit_status = -1;  // exit code, or 128 + signal number
  std::string out;
  std::string err;
};

ProcessResult run_process(const std::vector<std::string>& argv);
// `environment` adds to (or replaces in) this process's environment for the child.
ProcessResult run_process_with_env(const std::vector<std::string>& argv,
                                   const std::map<std::string, std::string>& environment);
// `input` is the child's standard input (small: it is written before the child starts).
ProcessResult run_process_with_input(const std::vector<std::string>& argv, std::string_view input);
// Like run_process, but a non-zero exit is an Error naming the command and its stderr.
std::string run_checked(const std::vector<std::string>& argv);
std::string run_checked_with_env(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& environment);

// Starts a program that outlives this one: not its child (it is forked twice, in a session of its
// own), stdin from /dev/null, stdout and stderr appended to `output` (made 0600 if missing).
// Returns its pid once it has been executed; a program that cannot be executed is an Error.
int spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& output);

// Replaces this process with `argv` (looked up in PATH), stdout flushed first; when it cannot be
// executed, throws Error "cannot run PROGRAM: REASON" followed by `remedy` ("; install …").
[[noreturn]] void exec_program(std::vector<std::string> argv, const std::string& remedy = "");

std::string shell_quote(const std::string& word);
std::string command_line(const std::vector<std::string>& argv);

}  // namespace trustnet
