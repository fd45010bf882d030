#pragma once
// SIGINT/SIGTERM handling for long-running work. A signal stops every child process (QEMU, the
// libguestfs appliance, qemu-img), so that the blocked call fails promptly; the worker then sees
// requested() and unwinds, and destructors remove temporary files. A watchdog that sees the work
// cannot go on (a full filesystem pauses QEMU, it does not fail) stops it the same way, with its
// reason as the error.
#include <chrono>
#include <string>

namespace trustnet::interrupt {

void install();
// Stops every child as a signal would; throw_if_requested() then throws `reason` (exit 1).
// The first reason (or signal) wins.
void stop_work(const std::string& reason);
bool requested();
int signal_number();        // 0 when no signal arrived
void throw_if_requested();  // throws Error naming the signal, or the stop_work reason

// Waits for every child process still there when a command ends (an appliance stopping after a
// signal, say), at most `grace`; then kills what is left with SIGKILL and reaps it. A program
// never exits with work of its own still running behind it.
void reap_children(std::chrono::milliseconds grace);

}  // namespace trustnet::interrupt
