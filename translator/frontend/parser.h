// Parsing one file: lex, preprocess, parse with the ANTLR grammar, build the AST.
#pragma once

#include "ast/context.h"
#include "common/diagnostics.h"
#include "frontend/preprocessor.h"

namespace stp2bpf::frontend {

struct ParseOptions {
  PreprocessorOptions preprocessor;
};

// Parses `file` into an ast::Script added to `ctx.scripts`.  Returns null when the file has
// syntax errors (all of them are in `diags`).  Errors found while building the AST are also
// in `diags`, but the script is still returned.
ast::Script* parseFile(const SourceFile& file, const ParseOptions& options, SourceManager& sources,
                       ast::AstContext& ctx, Diagnostics& diags);

}  // namespace stp2bpf::frontend
