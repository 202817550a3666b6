// libFuzzer target for the whole front end: preprocess, parse, build the AST, print it,
// and, when the input parsed without errors, parse the printed text again.
//
// Input: the script text, optionally followed by a NUL byte and NUL-separated script
// arguments ($1, $2, ...), so that the fuzzer also exercises argument substitution.
// Scripts are parsed in guru mode (embedded C allowed), with fixed target facts and the
// installed tapset's library macros, loaded once.
//
// Besides crashes, hangs and leaks, the target aborts when the round trip fails: the text
// printed from a valid script must parse without errors, to the same AST (ast::dump),
// and print to the same text.  That is the contract of ast/printer.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "ast/dump.h"
#include "ast/printer.h"
#include "frontend/parser.h"

namespace {

using namespace stp2bpf;

// Fixed facts, so that a crash reproduces on any machine: the kernel and configuration
// are made up, only the shape matters (strings and numbers to compare against).
const frontend::TargetFacts& facts() {
  static const frontend::TargetFacts f = [] {
    frontend::TargetFacts t;
    t.kernelRelease = "6.1.0-fuzz";
    t.kernelVersion = "6.1.0";
    t.arch = "x86_64";
    t.setConfig({{"CONFIG_SMP", "y"}, {"CONFIG_HZ", "250"}, {"CONFIG_COMPAT", "y"},
                 {"CONFIG_UTRACE", ""}, {"CONFIG_NR_CPUS", "64"}});
    return t;
  }();
  return f;
}

// The installed tapset's library macros (the .stpm files) in the directories the driver
// searches.  Loaded once and kept for the whole run: macro bodies point into these sources.
// STP2BPF_FUZZ_TAPSET overrides the tapset root (an empty value: no library).
frontend::MacroLibrary* library() {
  static SourceManager* sources = new SourceManager;
  static frontend::MacroLibrary* lib = [] {
    const char* env = std::getenv("STP2BPF_FUZZ_TAPSET");
    std::string root = env ? env : "/usr/share/systemtap/tapset";
    if (root.empty()) return static_cast<frontend::MacroLibrary*>(nullptr);
    // The order of driver::tapsetDirectories() with no -I (the driver itself is not
    // linked in: it brings the whole native runtime).
    std::vector<std::string> dirs = {root, root + "/" + facts().arch, root + "/linux",
                                     root + "/linux/" + facts().arch};
    auto* l = new frontend::MacroLibrary(dirs, *sources, facts());
    Diagnostics ignored;
    l->find("", ignored);  // load now, not inside the first input's run
    return l;
  }();
  return lib;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "frontend_fuzzer: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  library();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string text = input.substr(0, nul);
  std::vector<std::string> args;
  while (nul != std::string::npos && args.size() < 9) {
    size_t next = input.find('\0', nul + 1);
    args.push_back(input.substr(nul + 1, next == std::string::npos ? std::string::npos
                                                                     : next - nul - 1));
    nul = next;
  }

  SourceManager sources;
  ast::AstContext ast;
  Diagnostics diags;
  frontend::ParseOptions options;
  options.preprocessor.facts = &facts();
  options.preprocessor.library = library();
  options.preprocessor.guru = true;
  options.preprocessor.scriptArgs = args;
  const SourceFile* file = sources.addFile("fuzz.stp", text);
  ast::Script* script = frontend::parseFile(*file, options, sources, ast, diags);

  // Diagnostics are part of the front end: format them (locations, excerpts, notes).
  std::ostringstream messages;
  diags.print(messages);
  if (!script) return 0;
  std::ostringstream printed;
  ast::printScript(printed, *script);
  ast::PrintOptions full;
  full.fullyParenthesized = true;
  std::ostringstream parenthesized;
  ast::printScript(parenthesized, *script, full);
  if (diags.hasErrors()) return 0;

  // The round trip.  The printed text has the arguments substituted and the macros
  // expanded, so it is parsed with neither.
  std::string text1 = printed.str();
  Diagnostics diags2;
  frontend::ParseOptions again;
  again.preprocessor.facts = &facts();
  again.preprocessor.guru = true;
  const SourceFile* file2 = sources.addFile("printed.stp", text1);
  ast::Script* second = frontend::parseFile(*file2, again, sources, ast, diags2);
  if (!second || diags2.hasErrors()) {
    std::ostringstream err;
    diags2.print(err);
    fail("the printed text of a valid script does not parse",
         "--- input\n" + text + "\n--- printed\n" + text1 + "\n--- errors\n" + err.str());
  }
  std::string dump1 = ast::dump(*script), dump2 = ast::dump(*second);
  if (dump1 != dump2)
    fail("the printed text parses to a different AST",
         "--- printed\n" + text1 + "\n--- first AST\n" + dump1 + "\n--- second AST\n" + dump2);
  std::ostringstream printed2;
  ast::printScript(printed2, *second);
  if (printed2.str() != text1)
    fail("printing the reparsed AST gives a different text",
         "--- first\n" + text1 + "\n--- second\n" + printed2.str());
  return 0;
}
