// Parses corpus inputs (corpus_inputs.h) through the library API the way the stp2bpf
// driver parses a script (translator/driver/driver.cpp): the host's TargetFacts, and the
// library macros of driver::tapsetDirectories() -- the input's -I directories, then the
// installed tapset's common, linux and architecture directories.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ast/context.h"
#include "common/diagnostics.h"
#include "common/source.h"
#include "corpus_inputs.h"
#include "frontend/preprocessor.h"

namespace stp2bpf::corpus {

class Session {
 public:
  explicit Session(std::string tapsetRoot = "/usr/share/systemtap/tapset");

  // Parses `text` as the script `input` (with its arguments, guru mode and -I
  // directories).  The file is added to `sources` and the AST to `ast`, so a caller that
  // parses many files can drop them all at once.  Returns null on syntax errors.
  ast::Script* parse(const Input& input, std::string text, SourceManager& sources,
                     ast::AstContext& ast, Diagnostics& diags);

  // Loads the library macros for this -I list now (they are otherwise loaded on the first
  // macro lookup), so that a benchmark can leave that out of its timing.
  void preloadLibrary(const std::vector<std::string>& includeDirs);

  const frontend::TargetFacts& facts() const { return facts_; }

 private:
  frontend::MacroLibrary& library(const std::vector<std::string>& includeDirs);

  std::string tapsetRoot_;
  frontend::TargetFacts facts_;
  // The macro libraries' own files; their macro bodies point into them.
  SourceManager librarySources_;
  std::map<std::vector<std::string>, std::unique_ptr<frontend::MacroLibrary>> libraries_;
};

}  // namespace stp2bpf::corpus
