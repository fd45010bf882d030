#include "baker/execute/engine_choice.hpp"

namespace trustnet::baker {

EngineChoice choose_engine(BakeEngine wanted, const std::filesystem::path& base, const std::string& format,
                           uint64_t base_bytes, const std::filesystem::path& scratch, uint64_t disk_bytes) {
  if (wanted == BakeEngine::guestfs) return {};
  try {
    return {split_base(base, format, base_bytes, scratch, disk_bytes), std::nullopt};
  } catch (const DirectEngineRefusal& refusal) {
    return {std::nullopt, libguestfs_fallback(wanted, refusal)};
  }
}

}  // namespace trustnet::baker
