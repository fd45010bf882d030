#pragma once
// How much a command prints on stderr: -q, the default, -v.
namespace trustnet {

enum class Verbosity { quiet, normal, verbose };

}  // namespace trustnet
