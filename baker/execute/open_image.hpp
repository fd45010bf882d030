#pragma once
// One image opened by a disk engine, and the life cycle of its bake, written once for every
// engine: inspect the base (Alpine aarch64 or refused), grow the disk and its root filesystem,
// pack the base's root when its listing is wanted, apply the plan to the root, close. How each
// step is done is the engine's: ext4/ext4_image.hpp (libext2fs in this process) and
// guestfs/guest_image.hpp (a libguestfs appliance).
#include <cstdint>
#include <filesystem>
#include <string>

#include "baker/display/progress.hpp"
#include "baker/execute/execution_result.hpp"
#include "baker/execute/inspection.hpp"
#include "baker/execute/root_filesystem.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

class OpenImage {
 public:
  virtual ~OpenImage() = default;

  // The engine's name in the report: "ext4" or "libguestfs".
  virtual std::string engine() const = 0;
  // Finds the root filesystem and what it holds (root_inspection.hpp); leaves nothing mounted.
  virtual Inspection inspect() = 0;
  struct Grown {
    uint64_t disk_size = 0, root_fs_size = 0;
  };
  // The root partition and its filesystem grown to the end of the disk; the root then open to edit.
  virtual Grown grow(const Inspection& found) = 0;
  // The root to edit, once grown.
  virtual RootFilesystem& root() = 0;
  // The root's whole tree as an uncompressed tar with numeric owners (read-only when not grown).
  virtual void pack(const Inspection& found, const std::filesystem::path& tar) = 0;
  // What makes the edits lasting (filesystem checks, the image written, the appliance synced),
  // each reported as a phase of its own.
  virtual void close(Progress& progress) = 0;
};

// The bake of one opened image: `result` holds what it found and did, as far as it got.
void bake_open_image(OpenImage& image, const Plan& plan, const ExecuteOptions& options, Progress& progress,
                     ExecutionResult& result);

}  // namespace trustnet::baker
