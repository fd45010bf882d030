#include "common/util/error.hpp"

#include <fmt/format.h>

namespace trustnet {

std::string SourceLocation::str() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

Error::Error(std::string message, ExitCode code) : std::runtime_error(std::move(message)), code_(code) {}

Error::Error(SourceLocation where, std::string message)
    : std::runtime_error(std::move(message)), where_(std::move(where)), code_(ExitCode::bad_input) {}

Error& Error::with_context(const std::string& context) {
  context_ = context_.empty() ? context : fmt::format("{}: {}", context, context_);
  return *this;
}

std::string Error::line() const {
  std::string text = what();
  // Keep the promise of one line even when a library hands us several.
  for (auto& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (where_.known()) return fmt::format("{}: {}", where_.str(), text);
  if (!context_.empty()) return fmt::format("{}: {}", context_, text);
  return text;
}

}  // namespace trustnet
