#include "frontend/token.h"

#include "StapParser.h"

namespace stp2bpf::frontend {

SourceLocation tokenLocation(const antlr4::Token* token, const SourceFile* fallbackFile) {
  if (auto* st = dynamic_cast<const StapToken*>(token)) return st->location();
  // A token ANTLR conjured while recovering from an error: only line and column are known.
  SourceLocation loc;
  loc.file = fallbackFile;
  if (token) {
    loc.line = static_cast<uint32_t>(token->getLine());
    loc.column = static_cast<uint32_t>(token->getCharPositionInLine()) + 1;
    loc.endLine = loc.line;
    loc.endColumn = loc.column + 1;
  }
  return loc;
}

}  // namespace stp2bpf::frontend

// The grammar's adjacency predicate (see StapParser.g4, probeComponentNamed).
bool stp2bpf::grammar::StapParser::nextTokenIsAdjacent() {
  auto* next = dynamic_cast<const stp2bpf::frontend::StapToken*>(_input->LT(1));
  return next && !next->spaceBefore();
}
