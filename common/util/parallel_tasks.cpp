#include "common/util/parallel_tasks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>
#include <string>

#include "common/util/error.hpp"

namespace trustnet {

void throw_failures(const std::vector<std::exception_ptr>& failures) {
  if (failures.empty()) return;
  if (failures.size() == 1) std::rethrow_exception(failures.front());
  std::vector<std::string> lines;
  std::optional<ExitCode> code;
  bool interrupted = false;
  for (const auto& failure : failures) {
    try {
      std::rethrow_exception(failure);
    } catch (const Error& e) {
      lines.push_back(e.line());
      if (!code) code = e.exit_code();
      interrupted = interrupted || e.exit_code() == ExitCode::interrupted;
    } catch (const std::exception& e) {
      lines.push_back(e.what());
      if (!code) code = ExitCode::failure;
    } catch (...) {
      lines.push_back("a task failed with an exception that is not an error");
      if (!code) code = ExitCode::failure;
    }
  }
  throw Error(fmt::format("{}", fmt::join(lines, "; ")), interrupted ? ExitCode::interrupted : *code);
}

}  // namespace trustnet
