#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "runtime/native/compile.h"

namespace stp2bpf::runtime {

namespace {

using EntryPoint = void (*)(const CompileInput*, CompileResult*);

// Beside the executable (the build tree, or an installed bin/ with the module in the same
// directory), else where the build put it.
std::string modulePath() {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    std::string candidate = dir + "/libstp2bpf_compile.so";
    if (access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return STP2BPF_COMPILE_MODULE;
}

}  // namespace

CompileResult compileBpf(const CompileInput& input) {
  static EntryPoint entry = nullptr;
  static std::string loadError;
  if (!entry && loadError.empty()) {
    std::string path = modulePath();
    // Lazy binding: LLVM has thousands of functions the compile never calls.
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!handle) loadError = std::string("cannot load the BPF compiler module: ") + dlerror();
    else if (!(entry = reinterpret_cast<EntryPoint>(dlsym(handle, "stp2bpf_compile_bpf"))))
      loadError = "the BPF compiler module " + path + " has no entry point";
  }
  CompileResult result;
  if (!entry) {
    result.diagnostics = loadError + "\n";
    return result;
  }
  entry(&input, &result);
  return result;
}

}  // namespace stp2bpf::runtime
