// The SystemTap corpus that the corpus tests, the benchmarks and the fuzzer's seed corpus
// use: the example scripts of Debian's systemtap-doc package, the installed tapset
// library (package systemtap), each with the script arguments and stap options it is
// meant to be run with.  Nothing of SystemTap's is copied into this repository: the
// files are read where the packages install them.
//
// Example scripts get their arguments from the `test_check:` line of their `.meta` file
// (the command SystemTap's own test suite runs), with stap's options dropped; the few
// scripts that need arguments but have no such line get placeholders from a small table
// in corpus_inputs.cpp.
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::corpus {

// One script to parse, and how.
struct Input {
  std::string path;                      // absolute path of the file
  std::string name;                      // path relative to its corpus root, for messages
  std::vector<std::string> args;         // $1, $2, ...
  bool guru = false;                     // -g (or a tapset file: embedded C allowed)
  std::vector<std::string> includeDirs;  // -I directories, absolute
  std::string argsFrom;                  // where args/guru came from, for messages
};

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

// Every `.stp` under `examplesDir`, sorted by path.  Problems with the inputs themselves
// (an unreadable .meta, a test_check line that cannot be used and has no placeholder, a
// placeholder entry that matches no script) are appended to `problems`.
std::vector<Input> exampleInputs(const std::string& examplesDir,
                                 std::vector<std::string>& problems);

// Every `.stp` and `.stpm` under `tapsetDir`, sorted by path, in guru mode: SystemTap
// allows embedded C in its tapset library.
std::vector<Input> tapsetInputs(const std::string& tapsetDir);

// Reads a whole file ("" and false if it cannot be read).
bool readFile(const std::string& path, std::string& text);

}  // namespace stp2bpf::corpus
