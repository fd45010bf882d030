#include "launcher/instance/supervision_record.hpp"

#include <nlohmann/json.hpp>

#include "common/util/atomic_file.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::launcher {
using nlohmann::json;

std::optional<SupervisionRecord> read_supervision_record(const InstancePaths& paths) {
  if (!std::filesystem::is_regular_file(paths.supervision_record)) return std::nullopt;
  const json j = json::parse(read_text_file(paths.supervision_record, 64 << 10), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    return SupervisionRecord{j.value("restarts", 0), j.value("last_failure", std::string()),
                             j.value("last_failure_at", int64_t{0}), j.value("up_since", int64_t{0}),
                             j.value("running", false)};
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

void write_supervision_record(const InstancePaths& paths, const SupervisionRecord& record) {
  const json j{{"restarts", record.restarts},
               {"last_failure", record.last_failure},
               {"last_failure_at", record.last_failure_at},
               {"up_since", record.up_since},
               {"running", record.running}};
  write_file_atomically(paths.supervision_record, j.dump(2) + "\n", std::filesystem::perms(0600));
}

}  // namespace trustnet::launcher
