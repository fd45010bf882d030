// What a command prints for an error the standard library threw from the file system.
#include "common/cli/command_line.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

std::string me() { return fmt::format("{} (uid {})", ::getpwuid(::geteuid())->pw_name, ::geteuid()); }

}  // namespace

TEST_CASE("a file system error is one line: the file, the reason, what was done, and the fix") {
  const fs::filesystem_error denied("status", "/var/lib/trustnet/vms",
                                    std::make_error_code(std::errc::permission_denied));
  CHECK(filesystem_error_line(denied, "launch") ==
        fmt::format("launch: /var/lib/trustnet/vms: Permission denied (status); this runs as {}: give that user "
                    "access to /var/lib/trustnet/vms (or the folders above it), or run as the user that owns it",
                    me()));
  const fs::filesystem_error full("cannot copy file", "/a/b", "/c/d",
                                  std::make_error_code(std::errc::no_space_on_device));
  CHECK(filesystem_error_line(full, "bake") ==
        "bake: /a/b -> /c/d: No space left on device (cannot copy file); free some space on that filesystem");
  const fs::filesystem_error odd("remove_all", std::make_error_code(std::errc::io_error));
  CHECK(filesystem_error_line(odd, "bake") == "bake: a file: Input/output error (remove_all)");
}

TEST_CASE("what the standard library throws from a real refusal reads the same way") {
  test::TempDir dir;
  try {
    (void)fs::directory_iterator(dir.path() / "no-such-folder");
    FAIL("directory_iterator opened a missing folder");
  } catch (const fs::filesystem_error& e) {
    const std::string line = filesystem_error_line(e, "launch");
    CHECK(line == fmt::format("launch: {}: No such file or directory (directory iterator cannot open directory)",
                              (dir.path() / "no-such-folder").string()));
    CHECK(line.find("filesystem error") == std::string::npos);
    CHECK(line.find('[') == std::string::npos);
  }
}
