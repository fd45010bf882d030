#pragma once
// --accel, which the commands that start QEMU (`launch all|NAME`, `launch upgrade`) take,
// declared once.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "launcher/qemu/accel.hpp"

namespace trustnet::launcher {

// Adds --accel auto|kvm|hvf|tcg (default auto), stored in `accel`.
void add_accel_option(CLI::App& command, std::string& accel);
// The accelerator the option forces; none for auto (chosen from the host).
std::optional<Accel> forced_accel(const std::string& accel);

}  // namespace trustnet::launcher
