#include "launcher/qemu/qmp_client.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "common/util/error.hpp"

namespace trustnet::launcher {
using nlohmann::json;

QmpClient::QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout)
    : timeout_(timeout), socket_(socket) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(address.sun_path))
    throw Error(fmt::format("QMP socket path {} is longer than {} characters; choose a shorter state folder", path,
                            sizeof(address.sun_path) - 1));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) throw Error(fmt::format("QMP: cannot make a socket: {}", std::strerror(errno)));
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
    throw Error(fmt::format("QMP: cannot connect to {}: {}", path, std::strerror(errno)));
  json greeting = read_message();
  if (!greeting.contains("QMP")) throw Error(fmt::format("QMP: {} did not greet with QMP", path));
  execute("qmp_capabilities");
}

json QmpClient::execute(const std::string& command, const json& arguments) {
  json message = {{"execute", command}};
  if (!arguments.is_null()) message["arguments"] = arguments;
  send(message);
  for (;;) {
    json reply = read_message();
    if (reply.contains("event")) continue;
    if (reply.contains("error"))
      throw Error(fmt::format("QMP {}: {}", command, reply["error"].value("desc", reply["error"].dump())));
    if (reply.contains("return")) return reply["return"];
  }
}

void QmpClient::send(const json& message) {
  const std::string text = message.dump() + "\n";
  size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = ::send(fd_.get(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("QMP: cannot write to {}: {}", socket_.string(), std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
}

json QmpClient::read_message() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    if (auto end = buffer_.find('\n'); end != std::string::npos) {
      const std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (line.find_first_not_of(" \r") == std::string::npos) continue;
      try {
        return json::parse(line);
      } catch (const json::exception&) {
        throw Error(fmt::format("QMP: {} sent something that is not JSON: {}", socket_.string(), line.substr(0, 80)));
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw Error(fmt::format("QMP: no answer on {} within {} ms", socket_.string(), timeout_.count()));
    pollfd p{fd_.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw Error(fmt::format("QMP: poll: {}", std::strerror(errno)));
    if (ready == 0) continue;
    char chunk[4096];
    ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("QMP: cannot read {}: {}", socket_.string(), std::strerror(errno)));
    if (n == 0) throw Error(fmt::format("QMP: {} closed the connection", socket_.string()));
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace trustnet::launcher
