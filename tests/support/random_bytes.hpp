#pragma once
// Incompressible test content, the same for the same seed.
#include <cstdint>
#include <random>
#include <string>

namespace trustnet::test {

inline std::string random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  return bytes;
}

}  // namespace trustnet::test
