// A structural dump of the AST, for tests and debugging.
//
// One line per node, indented by depth: the node kind, then its own values (names,
// operators, literal values, flags), then its children on the following lines.  Source
// locations are left out, and so is everything that describes the source text rather than
// the program (Script::file, Script::emptyAfterPreprocessing), so two parses of
// differently laid out texts of the same program dump identically.  The dump is written
// independently of ast/printer.cpp: the round-trip tests compare dumps to find printer
// mistakes, so it must not share the printer's logic.
#pragma once

#include <ostream>
#include <string>

#include "ast/ast.h"

namespace stp2bpf::ast {

void dump(std::ostream& out, const Node& node);
std::string dump(const Node& node);

}  // namespace stp2bpf::ast
