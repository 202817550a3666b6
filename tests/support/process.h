// Running a command from a test: captured stdout and stderr, exit status, and time limits
// (a polite SIGINT, like Ctrl-C to stap, then a hard kill of the whole process group).
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::testing {

struct ProcessResult {
  std::string out;
  std::string err;
  int status = -1;        // exit status, or 128 + signal
  bool timedOut = false;  // killed at the hard limit
  double seconds = 0;     // wall time
};

struct ProcessOptions {
  std::string workDir;                 // empty: the current one
  std::vector<std::string> env;        // extra NAME=VALUE entries
  double interruptAfter = 0;           // > 0: send SIGINT to the process after this many seconds
  bool interruptAfterOutput = false;   // ... counted from its first output on stdout
  double timeout = 60;                 // then SIGKILL to its process group
};

ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& options);

// Small helpers for test drivers.
std::string readFile(const std::string& path);
bool writeFile(const std::string& path, const std::string& text);
std::string makeTempDir(const std::string& prefix);
void removeTree(const std::string& path);
bool onPath(const std::string& command);

}  // namespace stp2bpf::testing
