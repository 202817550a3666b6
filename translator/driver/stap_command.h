// SystemTap command lines, as found in the `.meta` files beside SystemTap's example scripts:
// their `test_check:` line is the `stap` command SystemTap's own test suite runs, so it says
// which arguments ($1, @1, ...), -I directories and guru mode a script is meant to get.
// Used by `stp2bpf port` (arguments for each script of a tree) and by the corpus tests.
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::driver {

// Splits a command line into words as sh does for the simple lines found in `.meta`
// files: blanks separate words; '...' is literal; "..." is literal except for \" \\ \$
// \`; a backslash outside quotes escapes the next character; `$$` (the shell's PID)
// becomes `shellPid`.  A `...` command substitution cannot be run here: it is kept,
// backquotes included, as part of its word.  Any other `$` expansion is an error.
// Returns false (with `error` set) on an unterminated quote or an unsupported expansion.
bool shellWords(const std::string& line, std::vector<std::string>& words, std::string& error,
                const std::string& shellPid = "1");

// A `stap [options] SCRIPT [ARGS]` command line, as stap's getopt reads it: options may
// also follow the script name (GNU getopt permutes), `--` ends them.
struct StapCommand {
  std::string script;                    // as written
  std::vector<std::string> args;
  bool guru = false;
  std::vector<std::string> includeDirs;  // as written
};
bool parseStapCommand(const std::string& line, StapCommand& out, std::string& error);

// The `test_check:` command of a `.meta` file ("" if it has none).
std::string metaTestCheck(const std::string& metaPath);

// What the `.meta` file beside a script (same name, `.meta` instead of `.stp`) says about
// running it.
struct MetaCommand {
  std::string metaName;   // the .meta file's name (no directory), "" if there is none
  std::string command;    // its test_check line, "" if none
  bool parsed = false;    // the line is a stap command that runs this very script
  bool usable = false;    // ... and its arguments are plain words (no command substitution)
  std::vector<std::string> args;
  bool guru = false;
  std::vector<std::string> includeDirs;  // absolute: relative ones are from the script's directory
  std::string problem;    // why the line cannot be used (when !usable and command != "")
};
MetaCommand metaCommandFor(const std::string& scriptPath);

}  // namespace stp2bpf::driver
