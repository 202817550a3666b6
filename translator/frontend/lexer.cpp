#include "frontend/lexer.h"

#include "ANTLRInputStream.h"
#include "StapLexer.h"
#include "Token.h"

namespace stp2bpf::frontend {

using grammar::StapLexer;

namespace {

// Computes where a token ends: ANTLR gives the start line/column; tokens such as strings
// with escaped newlines or embedded-C blocks can span lines.
void setEnd(SourceLocation& loc, const std::string& text) {
  uint32_t line = loc.line, col = loc.column;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      col = 1;
    } else if ((c & 0xC0) != 0x80) {  // count code points, not UTF-8 continuation bytes
      ++col;
    }
  }
  loc.endLine = line;
  loc.endColumn = col;
}

}  // namespace

std::vector<RawToken> lexText(const std::string& text, const SourceFile* file,
                              const SourceLocation& origin) {
  antlr4::ANTLRInputStream input(text);
  StapLexer lexer(&input);
  lexer.removeErrorListeners();  // every character is some token; STRAY_CHARACTER catches the rest
  std::vector<RawToken> out;
  bool spaceBefore = true;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.nextToken();
    size_t type = t->getType();
    if (type == antlr4::Token::EOF) break;
    if (t->getChannel() == antlr4::Token::HIDDEN_CHANNEL) {
      spaceBefore = true;
      continue;
    }
    RawToken raw{type, t->getText(), {}, spaceBefore};
    if (origin.valid()) {
      raw.loc = origin;
    } else {
      raw.loc.file = file;
      raw.loc.line = static_cast<uint32_t>(t->getLine());
      raw.loc.column = static_cast<uint32_t>(t->getCharPositionInLine()) + 1;
      setEnd(raw.loc, raw.text);
    }
    out.push_back(std::move(raw));
    spaceBefore = false;
  }
  return out;
}

std::string describeToken(size_t type, const std::string& text) {
  switch (type) {
    case antlr4::Token::EOF: return "end of file";
    case StapLexer::IDENTIFIER: return "identifier '" + text + "'";
    case StapLexer::NUMBER: return "number '" + text + "'";
    case StapLexer::STRING: return "string " + text;
    case StapLexer::UNTERMINATED_STRING: return "unterminated string";
    case StapLexer::TARGET_NAME: return "target variable '" + text + "'";
    case StapLexer::EMBEDDED_CODE: return "embedded C code '%{ ... %}'";
    default: break;
  }
  if (type >= StapLexer::PROBE && type <= StapLexer::CATCH) return "keyword '" + text + "'";
  return "'" + text + "'";
}

}  // namespace stp2bpf::frontend
