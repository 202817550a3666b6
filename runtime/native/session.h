// The native runtime: compiles the BPF C of a translated script in process, loads it with
// libbpf, attaches its programs, runs begin probes, formats what the programs send until
// exit(), an error, SIGINT/SIGTERM or the end of the -c command, then runs the end probes,
// prints the auto-printed globals and frees everything.  Output is byte-for-byte
// SystemTap's (runtime/format).
#pragma once

#include <ostream>
#include <string>

namespace stp2bpf::runtime {

struct NativeProgram {
  std::string scriptName;   // for messages
  std::string bpfC;         // the generated program
  std::string header;       // its shared header (BASE.h)
  std::string headerName;   // include name of the header
  std::string runtimeHeader;  // stp2bpf.bpf.h
  std::string manifest;     // JSON (backends/bpfc)
};

struct NativeOptions {
  int lastPass = 5;          // 4: compile and load only; 5: run
  int targetPid = 0;         // -x
  std::string command;       // -c
  std::string outputFile;    // -o (run output)
  int verbose = 0;
  bool useCache = true;      // compiled objects cached by script, options and kernel
};

// Returns the process exit status (stap's: 0, or 1 after errors).
int runNative(const NativeProgram& program, const NativeOptions& options, std::ostream& err);

}  // namespace stp2bpf::runtime
