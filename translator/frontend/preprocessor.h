// SystemTap's preprocessor, on tokens, before parsing:
//   1. script arguments: `$N` is replaced by the argument's text (lexed), `@N` by it as a
//      string literal, `$#`/`@#` by the argument count;
//   2. macros: `@define name(a, b) %( body %)` and their invocations `@name(x, y)`, with
//      parameters referenced as `@a` in the body; library macros come from the tapset's
//      `.stpm` files;
//   3. conditionals: `%( condition %? then-tokens %: else-tokens %)`, where the condition
//      compares kernel_v, kernel_vr, arch, runtime, systemtap_v, systemtap_privilege,
//      guru_mode, CONFIG_* options, strings or numbers (grammar rule `ppCondition`).
// Conditionals are evaluated on the macro-expanded stream, as SystemTap does.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "Token.h"
#include "common/diagnostics.h"
#include "common/source.h"
#include "frontend/lexer.h"

namespace stp2bpf::frontend {

// What `%( ... %?` conditions compare against.
struct TargetFacts {
  std::string kernelRelease;   // kernel_vr, e.g. "6.18.44-fc-v669"
  std::string kernelVersion;   // kernel_v, e.g. "6.18.44"
  std::string arch = "x86_64";
  std::string runtime = "kernel";
  std::string systemtapVersion = "4.8";  // systemtap_v: the language level we implement
  std::string privilege = "stapdev";
  // Kernel configuration, CONFIG_X -> value ("y", "m", a number, a string).  Loaded on
  // first use from `configPath` (a plain or gzip-compressed .config).
  std::string configPath = "/proc/config.gz";
  const std::map<std::string, std::string>& config() const;
  void setConfig(std::map<std::string, std::string> values);

  // The running machine: uname for the kernel, /proc/config.gz for the configuration.
  static TargetFacts host();

 private:
  mutable std::optional<std::map<std::string, std::string>> config_;
};

struct MacroDefinition {
  std::string name;  // without '@'
  std::vector<std::string> params;
  std::vector<RawToken> body;
  SourceLocation loc;
  bool fromLibrary = false;
  // The definition had an error (already reported).  The name is still defined, so that
  // its uses expand to a placeholder instead of each reporting "unknown macro".
  bool broken = false;
};

// Library macros from the `.stpm` files of the tapset directories, loaded on first lookup.
class MacroLibrary {
 public:
  MacroLibrary(std::vector<std::string> directories, SourceManager& sources,
               const TargetFacts& facts);
  const MacroDefinition* find(const std::string& name, Diagnostics& diags);

 private:
  void load(Diagnostics& diags);
  std::vector<std::string> directories_;
  SourceManager& sources_;
  const TargetFacts& facts_;
  bool loaded_ = false;
  std::map<std::string, MacroDefinition> macros_;
};

struct PreprocessorOptions {
  std::vector<std::string> scriptArgs;
  bool guru = false;
  const TargetFacts* facts = nullptr;  // required
  MacroLibrary* library = nullptr;     // optional
};

struct PreprocessedTokens {
  std::vector<std::unique_ptr<antlr4::Token>> tokens;  // ends with an EOF token
  bool hadTokensBeforePreprocessing = false;
  // Where stray characters and unterminated strings were reported.  In text the parser
  // then skips as junk (a comment that lost its '/*'), they are part of that one error.
  std::vector<SourceLocation> lexicalErrors;
};

// Preprocesses a whole file.  Errors are recorded in `diags`; the result is still a
// usable token stream (bad tokens are repaired or dropped) so that parsing can go on and
// report more errors.
PreprocessedTokens preprocess(const SourceFile& file, const PreprocessorOptions& options,
                              SourceManager& sources, Diagnostics& diags);

// Reads the macro definitions of a library file (`.stpm`) into `out`; anything else in the
// file is an error.
void collectLibraryMacros(const SourceFile& file, const PreprocessorOptions& options,
                          SourceManager& sources, Diagnostics& diags,
                          std::map<std::string, MacroDefinition>& out);

}  // namespace stp2bpf::frontend
