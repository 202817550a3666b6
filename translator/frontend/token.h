// Tokens as the preprocessor hands them to the ANTLR parser.
//
// A StapToken is an ANTLR CommonToken that also knows its SourceLocation (file, range, and
// the macro/argument expansion it came from) and whether whitespace or a comment preceded
// it, which the grammar needs for wildcard probe components (`*read*` vs `* read`).
#pragma once

#include <string>

#include "CommonToken.h"
#include "common/source.h"

namespace stp2bpf::frontend {

class StapToken : public antlr4::CommonToken {
 public:
  StapToken(size_t type, std::string text, const SourceLocation& loc, bool spaceBefore)
      : antlr4::CommonToken(type, std::move(text)), loc_(loc), spaceBefore_(spaceBefore) {
    setLine(loc.line);
    setCharPositionInLine(loc.column > 0 ? loc.column - 1 : 0);
  }

  const SourceLocation& location() const { return loc_; }
  bool spaceBefore() const { return spaceBefore_; }

 private:
  SourceLocation loc_;
  bool spaceBefore_;
};

// The location of any token the parser sees (StapToken or ANTLR's own EOF/missing tokens).
SourceLocation tokenLocation(const antlr4::Token* token, const SourceFile* fallbackFile);

}  // namespace stp2bpf::frontend
