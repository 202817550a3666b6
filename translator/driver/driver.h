// Runs a translation the way `stap` runs its passes: parse (1), elaborate (2), translate (3),
// compile and load (4), run (5), stopping after the pass the user asked for.  This is the
// only place that knows about all stages; the passes themselves take what they need.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ast/context.h"
#include "common/diagnostics.h"
#include "frontend/preprocessor.h"

namespace stp2bpf::driver {

struct Options {
  std::string scriptFile;                 // path, or "-" for standard input
  std::optional<std::string> scriptText;  // -e SCRIPT
  std::vector<std::string> scriptArgs;    // $1, $2, ...
  int lastPass = 3;                       // -p N
  std::vector<std::string> includeDirs;   // -I DIR (tapset directories)
  std::map<std::string, std::string> defines;  // -D NAME=VALUE
  bool guru = false;                      // -g
  int verbose = 0;                        // -v (repeatable)
  std::string outputFile;                 // -o FILE ("" = standard output)
  std::string target;                     // --target=bpftrace|c ("" = from -o, else bpftrace)
  std::string backend;                    // --backend=bpftrace|native (pass 5)
  int targetPid = 0;                      // -x PID
  std::string command;                    // -c CMD
  // Root of the installed SystemTap tapset library ($SYSTEMTAP_TAPSET overrides).
  std::string tapsetRoot = "/usr/share/systemtap/tapset";
  bool colour = false;                    // colour diagnostics
};

// The tapset directories searched for library macros and tapset scripts, in order: the -I
// directories, then the installed library's common, linux and architecture directories.
std::vector<std::string> tapsetDirectories(const Options& options, const std::string& arch);

class Driver {
 public:
  explicit Driver(Options options);

  // Runs the requested passes; diagnostics go to `err`, results to `out` or -o.
  // Returns the process exit status.
  int run(std::ostream& out, std::ostream& err);

 private:
  bool writeOutput(const std::string& text, std::ostream& out, std::ostream& err);

  Options options_;
  SourceManager sources_;
  ast::AstContext ast_;
  Diagnostics diags_;
  frontend::TargetFacts facts_;
};

}  // namespace stp2bpf::driver
