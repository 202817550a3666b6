// Where stp2bpf keeps what it can reuse between runs (compiled objects, the tapset
// library's name index): $XDG_CACHE_HOME/stp2bpf, else ~/.cache/stp2bpf.
#pragma once

#include <cstdlib>
#include <string>

namespace stp2bpf {

inline std::string cacheDirectory() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? xdg : std::string(home && *home ? home : "/tmp") + "/.cache";
  return base + "/stp2bpf";
}

}  // namespace stp2bpf
