#include "launcher/health/node_status.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/util/text_values.hpp"

namespace trustnet::launcher {
using nlohmann::json;

namespace {

std::optional<json> result_of(const std::string& body) {
  try {
    json answer = json::parse(body);
    if (!answer.is_object() || !answer.contains("result") || !answer["result"].is_object()) return std::nullopt;
    return answer["result"];
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// CometBFT writes 64-bit numbers as decimal strings.
std::optional<uint64_t> decimal(const json& value, uint64_t max) {
  if (!value.is_string()) return std::nullopt;
  return parse_bounded_uint(value.get<std::string>(), 0, max);
}

}  // namespace

std::optional<NodeStatus> parse_node_status(const std::string& body) {
  const auto result = result_of(body);
  if (!result || !result->contains("sync_info") || !(*result)["sync_info"].is_object()) return std::nullopt;
  const json& sync = (*result)["sync_info"];
  const auto height = sync.contains("latest_block_height")
                          ? decimal(sync["latest_block_height"], std::numeric_limits<int64_t>::max())
                          : std::nullopt;
  if (!height || !sync.contains("catching_up") || !sync["catching_up"].is_boolean()) return std::nullopt;
  return NodeStatus{*height, sync["catching_up"].get<bool>(), std::nullopt};
}

std::optional<int> parse_peer_count(const std::string& body) {
  const auto result = result_of(body);
  if (!result || !result->contains("n_peers")) return std::nullopt;
  const auto peers = decimal((*result)["n_peers"], 100000);
  if (!peers) return std::nullopt;
  return static_cast<int>(*peers);
}

void ChainProgress::record(uint64_t height, std::chrono::steady_clock::time_point now) {
  if (!height_ || height > *height_) {
    height_ = height;
    grew_at_ = now;
  }
}

bool ChainProgress::stalled(std::chrono::steady_clock::time_point now) const {
  return height_ && now - grew_at_ >= patience_;
}

}  // namespace trustnet::launcher
