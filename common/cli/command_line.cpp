#include "common/cli/command_line.hpp"

#include <fmt/format.h>

#include "common/util/interrupt.hpp"

namespace trustnet {
namespace {

int run_command_line(CLI::App& app, int argc, char** argv, std::string_view program, const std::function<int()>& work) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return work();
  } catch (const Error& e) {
    return report_error(e, program);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace

int report_error(const Error& error, std::string_view program) {
  // After SIGINT or SIGTERM, whatever failed failed because of it (its children were stopped):
  // the signal is the cause to report, and 128 + its number the exit status, as shells expect.
  if (const int signo = interrupt::signal_number(); signo && error.exit_code() != ExitCode::interrupted) {
    try {
      interrupt::throw_if_requested();
    } catch (const Error& interrupted) {
      fmt::print(stderr, "{}: {}\n", program, interrupted.line());
    }
    return 128 + signo;
  }
  fmt::print(
      stderr, "{}\n",
      error.where().known() || error.has_context() ? error.line() : fmt::format("{}: {}", program, error.line()));
  const int code = static_cast<int>(error.exit_code());
  return code == static_cast<int>(ExitCode::interrupted) && interrupt::signal_number()
             ? 128 + interrupt::signal_number()
             : code;
}

int run_subcommands(CLI::App& app, std::span<const Subcommand> table, int argc, char** argv, std::string_view program) {
  std::vector<std::pair<const CLI::App*, CommandRun>> runs;
  for (const Subcommand& row : table) {
    CLI::App* command = row.name.empty() ? &app : app.add_subcommand(std::string(row.name), std::string(row.summary));
    runs.emplace_back(command, row.declare(*command));
  }
  const int status = run_command_line(app, argc, argv, program, [&] {
    const std::vector<CLI::App*> chosen = app.get_subcommands();
    const CLI::App* command = chosen.empty() ? &app : chosen.front();
    for (const auto& [declared, run] : runs)
      if (declared == command) return run();
    throw Error(fmt::format("no work declared for the subcommand {}", command->get_name()));
  });
  // Whatever this command started (an appliance's QEMU stopping after a signal) ends before it
  // does; QEMUs that `launch` daemonizes are not its children and run on.
  interrupt::reap_children(std::chrono::seconds(10));
  return status;
}

}  // namespace trustnet
