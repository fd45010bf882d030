#pragma once
// How a libguestfs appliance is started: the acceleration asked for and its vCPUs. A header of
// its own, so that choosing them does not bring in <guestfs.h>.
namespace trustnet::baker {

enum class ApplianceAccel { automatic, tcg };

struct ApplianceSettings {
  ApplianceAccel accel = ApplianceAccel::automatic;
  unsigned vcpus = 1;  // under TCG each vCPU is a host thread: the appliance boots faster with two
};

}  // namespace trustnet::baker
