#include "launcher/health/console_failure.hpp"

#include <fstream>
#include <vector>

#include "common/util/text_values.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {

// A line without its terminal escapes (ESC [ … letter) and carriage returns.
std::string plain(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && !(line[i] >= '@' && line[i] <= '~')) ++i;
      continue;
    }
    if (line[i] != '\r') out += line[i];
  }
  return out;
}

}  // namespace

std::optional<std::string> console_failure(std::string_view console) {
  static const std::vector<std::string_view> kMarks = {
      "trustnet-state: error: ", "trustnet-firstboot: error: ", " * ERROR: ", "Kernel panic - not syncing"};
  std::optional<std::string> last;
  for (size_t start = 0; start < console.size();) {
    const size_t end = std::min(console.find('\n', start), console.size());
    const std::string line = plain(console.substr(start, end - start));
    start = end + 1;
    for (const std::string_view mark : kMarks)
      if (const size_t at = line.find(mark); at != std::string::npos) {
        // OpenRC's bullet is dropped; a script's own name is kept.
        const std::string said = line.substr(mark.front() == ' ' ? at + 3 : at);
        last = printable(said.substr(0, 300));
        break;
      }
  }
  return last;
}

std::optional<std::string> console_failure_in(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return std::nullopt;
  constexpr std::streamoff kTail = 256 << 10;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(size > kTail ? size - kTail : 0);
  std::string text(static_cast<size_t>(std::min(size, kTail)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return console_failure(text);
}

}  // namespace trustnet::launcher
