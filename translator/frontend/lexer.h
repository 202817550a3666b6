// Turns source text into raw tokens (the input of the preprocessor).
#pragma once

#include <string>
#include <vector>

#include "common/source.h"

namespace stp2bpf::frontend {

struct RawToken {
  size_t type;  // StapLexer token type
  std::string text;
  SourceLocation loc;
  bool spaceBefore;  // whitespace or a comment precedes it (or it starts its source)
  bool suspect = false;  // made up by error repair (see StapToken)
};

// Lexes `text` (the whole file, or a substituted script argument).  Locations refer to
// `file`; when `origin` is valid (a script argument), every token gets that location
// instead, since the argument's text is not in any file.  Hidden tokens (whitespace,
// comments) are dropped.
std::vector<RawToken> lexText(const std::string& text, const SourceFile* file,
                              const SourceLocation& origin = {});

// Human-readable token description for messages: "'{'", "identifier 'foo'", "number '3'",
// "string \"x\"", "end of file".
std::string describeToken(size_t type, const std::string& text);

}  // namespace stp2bpf::frontend
