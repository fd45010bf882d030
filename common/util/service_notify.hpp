#pragma once
// The service manager's notification protocol (sd_notify(3)): "READY=1", "STATUS=…",
// "WATCHDOG=1" and "STOPPING=1" sent as datagrams to the socket systemd names in $NOTIFY_SOCKET
// ("@" for the abstract namespace). Without that variable (a terminal, OpenRC) nothing is sent.
// No libsystemd: the protocol is one datagram.
#include <chrono>
#include <optional>
#include <string>

namespace trustnet {

class ServiceNotifier {
 public:
  virtual ~ServiceNotifier() = default;
  // One message of newline-separated assignments; false when it could not be sent.
  virtual bool notify(const std::string& message) = 0;
};

// The notifier of this process's service manager, from $NOTIFY_SOCKET (none: sends nothing).
ServiceNotifier& service_manager();

// The socket `address` names ("/run/systemd/notify", or "@name" in the abstract namespace);
// a notifier that sends nothing for an empty address.
class SocketNotifier final : public ServiceNotifier {
 public:
  explicit SocketNotifier(std::string address) : address_(std::move(address)) {}
  bool notify(const std::string& message) override;

 private:
  std::string address_;
};

// The watchdog period the service manager expects pings within ($WATCHDOG_USEC, for this
// process's $WATCHDOG_PID), when it watches.
std::optional<std::chrono::microseconds> watchdog_period();

}  // namespace trustnet
