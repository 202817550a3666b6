// Compiles BPF C to a BPF ELF object in this process, with LLVM/clang as a library (no
// clang executable needed at run time).  Headers the program includes are given as
// in-memory files.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace stp2bpf::runtime {

struct CompileInput {
  std::string fileName = "program.bpf.c";
  std::string source;
  std::map<std::string, std::string> headers;  // include name -> text
  std::vector<std::string> defines;           // NAME=VALUE
};

struct CompileResult {
  bool ok = false;
  std::vector<char> object;  // ELF
  std::string diagnostics;   // clang's messages
};

// Compiles with the compiler module (libstp2bpf_compile.so, LLVM and clang linked in),
// loaded on the first call: a run whose object is cached never loads LLVM, whose dynamic
// linking alone costs ~40 ms.  A missing module is reported in `diagnostics`.
CompileResult compileBpf(const CompileInput& input);

// The compiler itself (in the module).
CompileResult compileBpfInProcess(const CompileInput& input);

}  // namespace stp2bpf::runtime
