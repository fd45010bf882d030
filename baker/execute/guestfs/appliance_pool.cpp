#include "baker/execute/guestfs/appliance_pool.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>

namespace trustnet::baker {

size_t appliance_count(size_t images, unsigned cores, uint64_t available_memory, std::optional<size_t> requested) {
  if (images == 0) return 0;
  size_t count = requested.value_or(
      std::max<size_t>(1, std::min<uint64_t>(std::max(1u, cores), available_memory / kApplianceMemory)));
  return std::clamp<size_t>(count, 1, images);
}

unsigned appliance_vcpus(unsigned cores, size_t appliances) {
  if (appliances == 0) return 1;
  return static_cast<unsigned>(std::clamp<size_t>(cores / appliances, 1, 4));
}

std::vector<std::vector<size_t>> assign_to_appliances(const std::vector<std::string>& base_digests, size_t count) {
  std::vector<size_t> order(base_digests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return base_digests[a] < base_digests[b]; });
  count = std::clamp<size_t>(count, 1, std::max<size_t>(1, order.size()));
  std::vector<std::vector<size_t>> groups(count);
  size_t next = 0;
  for (size_t g = 0; g < count; ++g) {
    const size_t size = order.size() / count + (g < order.size() % count ? 1 : 0);
    for (size_t i = 0; i < size; ++i) groups[g].push_back(order[next++]);
    std::sort(groups[g].begin(), groups[g].end());  // within an appliance, in the order asked for
  }
  std::erase_if(groups, [](const auto& group) { return group.empty(); });
  return groups;
}

std::optional<uint64_t> available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

}  // namespace trustnet::baker
