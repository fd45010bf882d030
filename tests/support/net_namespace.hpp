#pragma once
// A network namespace of the test's own, with loopback up; removed on destruction together with
// every process still inside it, so a failed test leaves no QEMU or bridge behind.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/util/process.hpp"

namespace trustnet::test {

class NetNamespace {
 public:
  explicit NetNamespace(const std::string& purpose) : name_(fmt::format("tn-{}-{}", purpose, ::getpid())) {
    run_process({"ip", "netns", "delete", name_});
    run_checked({"ip", "netns", "add", name_});
    run_checked({"ip", "-n", name_, "link", "set", "lo", "up"});
  }
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;
  ~NetNamespace() {
    ProcessResult pids = run_process({"ip", "netns", "pids", name_});
    std::vector<std::string> kill{"kill", "-KILL"};
    for (size_t start = 0, end; (end = pids.out.find('\n', start)) != std::string::npos; start = end + 1)
      kill.push_back(pids.out.substr(start, end - start));
    if (kill.size() > 2) run_process(kill);
    run_process({"ip", "netns", "delete", name_});
  }

  const std::string& name() const { return name_; }
  // `argv` run inside the namespace.
  std::vector<std::string> inside(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return argv;
  }
#ifdef TRUSTNET_LAUNCH_BINARY
  // `launch ARGS --config CONFIG` run inside the namespace, after `prefix` (setpriv …).
  ProcessResult launch(const std::filesystem::path& config, std::vector<std::string> args,
                       const std::vector<std::string>& prefix = {}) const {
    args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
    args.insert(args.begin(), prefix.begin(), prefix.end());
    args.insert(args.end(), {"--config", config.string()});
    return run_process(inside(args));
  }
#endif

 private:
  std::string name_;
};

}  // namespace trustnet::test
