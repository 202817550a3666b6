// Tokens as the preprocessor hands them to the ANTLR parser.
//
// A StapToken is an ANTLR CommonToken that also knows its SourceLocation (file, range, and
// the macro/argument expansion it came from) and whether whitespace or a comment preceded
// it, which the grammar needs for wildcard probe components (`*read*` vs `* read`).
// A token is `suspect` when the preprocessor made it up to repair an error it already
// reported (a placeholder for a missing script argument or a failed macro invocation), or
// when it directly follows a bad token that was dropped: syntax errors at such a token are
// consequences of that error, so they are counted but not shown.
#pragma once

#include <string>

#include "CommonToken.h"
#include "common/source.h"

namespace stp2bpf::frontend {

class StapToken : public antlr4::CommonToken {
 public:
  StapToken(size_t type, std::string text, const SourceLocation& loc, bool spaceBefore,
            bool suspect = false)
      : antlr4::CommonToken(type, std::move(text)), loc_(loc), spaceBefore_(spaceBefore),
        suspect_(suspect) {
    setLine(loc.line);
    setCharPositionInLine(loc.column > 0 ? loc.column - 1 : 0);
  }

  const SourceLocation& location() const { return loc_; }
  bool spaceBefore() const { return spaceBefore_; }
  bool suspect() const { return suspect_; }
  void setSuspect() { suspect_ = true; }

 private:
  SourceLocation loc_;
  bool spaceBefore_;
  bool suspect_;
};

// The location of any token the parser sees (StapToken or ANTLR's own EOF/missing tokens).
SourceLocation tokenLocation(const antlr4::Token* token, const SourceFile* fallbackFile);

}  // namespace stp2bpf::frontend
