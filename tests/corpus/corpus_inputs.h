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

#include "driver/stap_command.h"

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

// The `.meta` command-line readers are the driver's (`stp2bpf port` uses them too).
using driver::metaTestCheck;
using driver::parseStapCommand;
using driver::shellWords;
using driver::StapCommand;

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
