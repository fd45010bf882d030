#pragma once
// The libguestfs engine's image: one drive of a launched appliance (GuestSession), shared with
// the other images of its appliance; closing it unmounts and syncs, leaving the appliance ready
// for the next image.
#include <string>

#include "baker/execute/guestfs/guest_root.hpp"
#include "baker/execute/guestfs/guest_session.hpp"
#include "baker/execute/open_image.hpp"

namespace trustnet::baker {

// The one Linux root filesystem on `disk` (other drives are not looked at), inspected; an Error
// when there is none or more than one.
Inspection inspect_guest_disk(GuestSession& guest, const std::string& disk);

class GuestImage final : public OpenImage {
 public:
  GuestImage(GuestSession& guest, std::string disk) : guest_(guest), disk_(std::move(disk)), root_(guest) {}

  std::string engine() const override { return "libguestfs"; }
  Inspection inspect() override { return inspect_guest_disk(guest_, disk_); }
  Grown grow(const Inspection& found) override;
  RootFilesystem& root() override { return root_; }
  void pack(const Inspection& found, const std::filesystem::path& tar) override;
  void close(Progress& progress) override;

 private:
  GuestSession& guest_;
  std::string disk_;
  GuestRoot root_;
  bool mounted_ = false;
};

}  // namespace trustnet::baker
