// Declarative end-to-end suites (tests/e2e/*.suite, syntax in README.md): parsing, and
// checking one test's requirements and result.  e2e_main.cpp turns every test into a
// GoogleTest case.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace stp2bpf::e2e {

struct Requirement {
  std::string kind;  // root, bpftrace, tracepoint, command
  std::string arg;   // tracepoint SYSTEM:EVENT, command NAME
  std::string text() const { return arg.empty() ? kind : kind + " " + arg; }
};

struct Case {
  std::string suite;  // file stem
  std::string file;
  int line = 0;       // of NAME
  std::string name;
  std::vector<std::string> comments;
  std::string prog;
  std::vector<std::string> args;    // stp2bpf options before the script
  std::vector<std::string> params;  // script arguments ($1 ...)
  bool hasExpect = false;
  std::string expect;                      // exact stdout
  std::vector<std::string> expectRegex;    // one regex per stdout line
  bool hasExpectRegex = false;
  std::vector<std::string> stderrRegex;    // each must be found in stderr
  int exitStatus = 0;
  double timeout = 60;
  double interruptAfter = 0;
  std::vector<Requirement> requires;
  std::vector<std::string> backends;  // empty: every backend
};

// Parses one suite file.  Returns false and sets `error` ("FILE:LINE: message") on a
// malformed suite.
bool parseSuite(const std::string& path, const std::string& text, std::vector<Case>& out, std::string& error);

// Splits a line into words: whitespace separates, '...' and "..." quote.
bool splitWords(const std::string& text, std::vector<std::string>& out);

// Empty if met, else why not (for the SKIPPED message).
std::string unmetRequirement(const Requirement& r);

}  // namespace stp2bpf::e2e
