#include "launcher/instance/stop_request.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "common/util/atomic_file.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

StopRequest::StopRequest(const InstancePaths& paths) : file_(paths.stop_request) {
  if (fs::is_directory(file_.parent_path()))
    write_file_atomically(file_, fmt::format("launch stop (pid {})\n", ::getpid()), fs::perms(0600));
}

StopRequest::~StopRequest() {
  std::error_code ignored;  // nothing to do when it is gone already
  fs::remove(file_, ignored);
}

bool stop_requested(const InstancePaths& paths) {
  std::error_code error;
  const auto written = fs::last_write_time(paths.stop_request, error);
  if (error) return false;
  // A stop escalates to SIGKILL well within this; an older request is one a killed stop left.
  return fs::file_time_type::clock::now() - written < std::chrono::minutes(15);
}

void clear_stop_request(const InstancePaths& paths) {
  std::error_code ignored;
  fs::remove(paths.stop_request, ignored);
}

}  // namespace trustnet::launcher
