#pragma once
// Runs a plan's steps on a root filesystem, journaling every change, then gives what the bake
// wrote (and the folders it wrote into) the time of SOURCE_DATE_EPOCH when one is set. The same
// code for every engine: only the RootFilesystem differs.
#include "baker/display/progress.hpp"
#include "baker/execute/execution_result.hpp"
#include "baker/execute/root_filesystem.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

void apply_plan(RootFilesystem& root, const Plan& plan, const ExecuteOptions& options, ExecutionResult& result,
                Progress& progress);

}  // namespace trustnet::baker
