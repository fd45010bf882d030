#pragma once
// SIGINT/SIGTERM handling for long-running work. A signal stops every child process (QEMU, the
// libguestfs appliance, qemu-img), so that the blocked call fails promptly; the worker then sees
// requested() and unwinds, and destructors remove temporary files.
namespace trustnet::interrupt {

void install();
bool requested();
int signal_number();         // 0 when no signal arrived
void throw_if_requested();   // throws Error naming the signal

}  // namespace trustnet::interrupt
