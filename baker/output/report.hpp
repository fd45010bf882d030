#pragma once
// out/NAME.report.json: what went into a golden image and how long each phase took.
#include <string>
#include <vector>

#include "baker/display/progress.hpp"
#include "baker/execute/executor.hpp"
#include "baker/output/up_to_date.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

struct ReportInput {
  const Recipe& recipe;
  const Plan& plan;
  std::string base_file;
  const ExecutionResult& result;
  std::vector<PhaseTime> phases;
  std::string image_file;
  std::string image_sha256;
  std::string listing_file, listing_sha256;  // the mtree content listing beside the image
  BakeFingerprint fingerprint;               // what made it, for the next bake's up-to-date check
};

std::string render_report(const ReportInput& input);

}  // namespace trustnet::baker
