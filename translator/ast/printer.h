// Writes the AST back as SystemTap source.
//
// The output parses back to the same AST (the parser tests check parse -> print -> parse).
// Parentheses are printed only where SystemTap's precedence needs them, unless
// `fullyParenthesized` is set, which wraps every compound expression (like `stap -p1`)
// and makes the structure of an expression visible for comparisons.
#pragma once

#include <ostream>
#include <string>

#include "ast/ast.h"

namespace stp2bpf::ast {

struct PrintOptions {
  bool fullyParenthesized = false;
  std::string indent = "  ";
};

void printScript(std::ostream& out, const Script& script, const PrintOptions& options = {});
std::string printToString(const Node& node, const PrintOptions& options = {});

}  // namespace stp2bpf::ast
