// Runs a translated script under the installed bpftrace (`stp2bpf run --backend=bpftrace`).
//
// Its stdout is what SystemTap would print: bpftrace's own framing is removed (`-q` hides
// "Attaching N probes...", and everything after the marker line the translation prints at
// the very end of END is bpftrace's exit dump), lines starting with "ERROR: " or
// "WARNING: " (SystemTap's run-time messages, which go to stderr) are moved to stderr,
// and nothing else is touched; output is passed through unbuffered, so games draw as
// they go.  The exit status follows stap's: 0, or 1 after a run-time error.
//
// When the kernel's verifier refuses a probe, the failure is mapped back to the script:
// which probe, the loops in it (with their .stp lines and bounds), and which verifier limit
// was hit, with a pointer to --target=c.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace stp2bpf::runtime {

struct BpftraceRun {
  std::string scriptText;         // the .bt text
  std::string stpName;            // for messages
  std::vector<std::string> args;  // positional parameters ($1 is target())
  std::string command;            // -c CMD
  int stringLength = 64;          // BPFTRACE_STRLEN
  std::string bpftrace = "bpftrace";
};

// The marker the bpftrace backend prints last in END when translating for this runner.
extern const char* const kEndMarker;

int runBpftrace(const BpftraceRun& run, std::ostream& err);

}  // namespace stp2bpf::runtime
