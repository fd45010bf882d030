#pragma once
// How the images of one `bake` run share libguestfs appliances. Each appliance launch costs
// about 15-20 s under TCG and keeps one core busy; the work per image after it is a fraction of
// that. So a run starts one appliance per core (fewer when memory is short, never more than
// images) and each appliance bakes its share of the images one after the other.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trustnet::baker {

// What one appliance takes: libguestfs' guest memory plus QEMU's own.
inline constexpr uint64_t kApplianceMemory = 1536ULL << 20;

// `requested` (bake --appliances) wins when set, still at most one per image.
size_t appliance_count(size_t images, unsigned cores, uint64_t available_memory,
                       std::optional<size_t> requested = std::nullopt);

// The vCPUs of each of `appliances` appliances: the cores shared out, 1 to 4 each (the work in an
// appliance is one command at a time; more helps only its boot).
unsigned appliance_vcpus(unsigned cores, size_t appliances);

// Image indexes split into `count` groups whose sizes differ by at most one; images of one base
// (same digest) are kept together where the sizes allow, so the base's listing is packed once.
std::vector<std::vector<size_t>> assign_to_appliances(const std::vector<std::string>& base_digests, size_t count);

// MemAvailable from /proc/meminfo; nothing when it cannot be read.
std::optional<uint64_t> available_memory();

}  // namespace trustnet::baker
