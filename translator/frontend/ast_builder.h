// Converts ANTLR's parse tree into our AST, once, right after parsing.  No ANTLR type is
// visible past this point.  Checks that SystemTap's own parser makes (number ranges,
// printf formats, lvalue-free rules such as `return` outside a function, embedded C
// without guru mode, probe alias shapes) are reported here as located errors.
#pragma once

#include "StapParser.h"
#include "ast/context.h"
#include "common/diagnostics.h"

namespace stp2bpf::frontend {

struct BuildOptions {
  bool guru = false;  // embedded C allowed (`-g`, and always for tapset files)
};

ast::Script* buildAst(grammar::StapParser::ScriptContext* tree, const SourceFile& file,
                      ast::AstContext& ctx, Diagnostics& diags, const BuildOptions& options);

}  // namespace stp2bpf::frontend
