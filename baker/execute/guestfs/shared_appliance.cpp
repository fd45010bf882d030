// The libguestfs engine's images of one run, in one appliance: one launch for all of them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "baker/execute/executor.hpp"
#include "baker/execute/guestfs/guest_image.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace {

std::string names_of(const std::vector<ExecutionJob>& jobs, size_t from, size_t to) {
  std::vector<std::string> names;
  for (size_t i = from; i < to; ++i) names.push_back(jobs[i].plan->name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::vector<ExecutionOutcome> execute_in_one_appliance(const std::vector<ExecutionJob>& jobs,
                                                       const ApplianceSettings& appliance) {
  std::vector<ExecutionOutcome> outcomes(jobs.size());
  auto fail_all = [&](std::exception_ptr error) {
    for (auto& outcome : outcomes)
      if (!outcome.error) outcome.error = error;
  };
  std::optional<GuestSession> session;
  std::vector<std::string> disks;
  for (const auto& job : jobs) job.progress->phase_started("launch appliance");
  try {
    session.emplace(appliance);
    for (const auto& job : jobs) session->add_drive(job.image, "qcow2", false);
    session->launch();
    interrupt::throw_if_requested();
    disks = session->disks();
    if (disks.size() != jobs.size())
      throw Error(fmt::format("the appliance shows {} drives for {} images", disks.size(), jobs.size()));
  } catch (const Error&) {
    fail_all(std::current_exception());
    return outcomes;
  }
  GuestSession& guest = *session;
  const std::string shared = jobs.size() > 1 ? fmt::format(", shared by {} images", jobs.size()) : "";
  for (const auto& job : jobs) job.progress->phase_done("launch appliance", guest.accel_description() + shared);

  for (size_t i = 0; i < jobs.size(); ++i) {
    if (i > 0) jobs[i].progress->phase_done("wait for the appliance", "baking " + names_of(jobs, 0, i));
    try {
      GuestImage image(guest, disks[i]);
      bake_open_image(image, *jobs[i].plan, jobs[i].options, *jobs[i].progress, outcomes[i].result);
    } catch (...) {  // whatever it was (a libguestfs error, a local file that could not be written), it is this image's
      interrupt::throw_if_requested();
      outcomes[i].error = std::current_exception();
      // The next image starts from nothing mounted; if even that fails, the appliance is gone.
      try {
        guest.umount_all();
      } catch (const Error&) {
        fail_all(std::current_exception());
        return outcomes;
      }
    }
  }
  for (size_t i = 0; i + 1 < jobs.size(); ++i)
    jobs[i].progress->phase_done("wait for the appliance", "baking " + names_of(jobs, i + 1, jobs.size()));
  try {
    guest.shutdown();
  } catch (const Error&) {
    fail_all(std::current_exception());
  }
  for (const auto& job : jobs) job.progress->phase_done("shut down appliance");
  return outcomes;
}

}  // namespace trustnet::baker
