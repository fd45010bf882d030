#include "common/cli/command_line.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <system_error>

#include "common/util/interrupt.hpp"

namespace trustnet {
namespace {

int run_command_line(CLI::App& app, int argc, char** argv, std::string_view program, const std::function<int()>& work) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: printed as asked
    // One line, like every other error, naming the program.
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    fmt::print(stderr, "{}: {} (see --help)\n", program, what);
    return 2;
  }
  try {
    return work();
  } catch (const Error& e) {
    return report_error(e, program);
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "{}\n", filesystem_error_line(e, program));
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}

// "status" out of libstdc++'s "filesystem error: status: Permission denied [PATH]".
std::string operation_of(const std::filesystem::filesystem_error& error) {
  std::string_view what = error.what();
  constexpr std::string_view kPrefix = "filesystem error: ";
  if (what.starts_with(kPrefix)) what.remove_prefix(kPrefix.size());
  return std::string(what.substr(0, what.find(": ")));
}

std::string user_text() {
  const passwd* account = ::getpwuid(::geteuid());
  return account ? fmt::format("{} (uid {})", account->pw_name, ::geteuid()) : fmt::format("uid {}", ::geteuid());
}

std::string fix_for(std::errc reason, const std::filesystem::path& path) {
  switch (reason) {
    case std::errc::permission_denied:
    case std::errc::operation_not_permitted:
      return fmt::format(
          "; this runs as {}: give that user access to {} (or the folders above it), or run as the user that owns "
          "it",
          user_text(), path.string());
    case std::errc::not_a_directory: return "; a part of the path is a file, not a folder";
    case std::errc::no_space_on_device: return "; free some space on that filesystem";
    case std::errc::read_only_file_system: return "; that filesystem is mounted read-only";
    case std::errc::too_many_symbolic_link_levels: return "; a symbolic link on the path loops";
    default: return "";
  }
}

}  // namespace

std::string filesystem_error_line(const std::filesystem::filesystem_error& error, std::string_view program) {
  const std::filesystem::path& path = error.path1();
  const std::string where = path.empty()            ? std::string("a file")
                            : error.path2().empty() ? path.string()
                                                    : fmt::format("{} -> {}", path.string(), error.path2().string());
  const auto reason = static_cast<std::errc>(error.code().value());
  const bool generic =
      error.code().category() == std::generic_category() || error.code().category() == std::system_category();
  return fmt::format("{}: {}: {} ({}){}", program, where, error.code().message(), operation_of(error),
                     generic ? fix_for(reason, path) : "");
}

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
  // does; QEMUs that `launch` detaches are not its children and run on.
  interrupt::reap_children(std::chrono::seconds(10));
  return status;
}

}  // namespace trustnet
