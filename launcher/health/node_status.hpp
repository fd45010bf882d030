#pragma once
// What a node's CometBFT says of its chain through its RPC: /status (height, catching up) and
// /net_info (peers), parsed; and whether the chain moves. Pure: the probe hands the bodies here.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace trustnet::launcher {

struct NodeStatus {
  uint64_t height = 0;
  bool catching_up = false;
  std::optional<int> peers;  // from /net_info, when it answered
};

// The answer of GET /status ({"result":{"sync_info":{"latest_block_height":"N","catching_up":B}}}),
// or nothing when it is not one.
std::optional<NodeStatus> parse_node_status(const std::string& body);
// n_peers of GET /net_info, or nothing.
std::optional<int> parse_peer_count(const std::string& body);

// Whether the height has stopped: a node whose height has not grown for `patience` while its
// RPC answers is stalled (a lone validator commits a block every second or so).
class ChainProgress {
 public:
  explicit ChainProgress(std::chrono::seconds patience = std::chrono::seconds(60)) : patience_(patience) {}
  void record(uint64_t height, std::chrono::steady_clock::time_point now);
  bool stalled(std::chrono::steady_clock::time_point now) const;

 private:
  std::chrono::seconds patience_;
  std::optional<uint64_t> height_;
  std::chrono::steady_clock::time_point grew_at_{};
};

}  // namespace trustnet::launcher
