#include "corpus_session.h"

#include "driver/driver.h"
#include "frontend/parser.h"

namespace stp2bpf::corpus {

Session::Session(std::string tapsetRoot)
    : tapsetRoot_(std::move(tapsetRoot)), facts_(frontend::TargetFacts::host()) {}

frontend::MacroLibrary& Session::library(const std::vector<std::string>& includeDirs) {
  auto& lib = libraries_[includeDirs];
  if (!lib) {
    driver::Options options;
    options.includeDirs = includeDirs;
    options.tapsetRoot = tapsetRoot_;
    lib = std::make_unique<frontend::MacroLibrary>(
        driver::tapsetDirectories(options, facts_.arch), librarySources_, facts_);
  }
  return *lib;
}

void Session::preloadLibrary(const std::vector<std::string>& includeDirs) {
  // Warnings about broken library files are dropped: the corpus tests, which do not
  // preload, see them with the first script that looks a macro up.
  Diagnostics ignored;
  library(includeDirs).find("", ignored);
}

ast::Script* Session::parse(const Input& input, std::string text, SourceManager& sources,
                            ast::AstContext& ast, Diagnostics& diags) {
  const SourceFile* file = sources.addFile(input.path, std::move(text));
  frontend::ParseOptions options;
  options.preprocessor.scriptArgs = input.args;
  options.preprocessor.guru = input.guru;
  options.preprocessor.facts = &facts_;
  options.preprocessor.library = &library(input.includeDirs);
  return frontend::parseFile(*file, options, sources, ast, diags);
}

}  // namespace stp2bpf::corpus
