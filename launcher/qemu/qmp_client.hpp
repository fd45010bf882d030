#pragma once
// A QEMU Machine Protocol client on the instance's unix socket: the greeting, capability
// negotiation, then one command at a time. Events arriving in between are skipped.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/handles/unique_fd.hpp"

namespace trustnet::launcher {

class QmpClient {
 public:
  // Connects and negotiates capabilities; throws Error when QEMU does not answer within `timeout`.
  QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout);

  // Runs a command and returns its "return" member; a QMP error becomes an Error.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nullptr);

 private:
  nlohmann::json read_message();
  void send(const nlohmann::json& message);

  UniqueFd fd_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  std::filesystem::path socket_;
};

}  // namespace trustnet::launcher
