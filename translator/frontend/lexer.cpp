#include "frontend/lexer.h"

#include <algorithm>
#include <vector>

#include "ANTLRInputStream.h"
#include "StapLexer.h"
#include "Token.h"

namespace stp2bpf::frontend {

using grammar::StapLexer;

namespace {

// ANTLR's input stream decodes UTF-8 and throws on anything else, but SystemTap reads
// bytes: any byte is fine in a string or a comment (a Latin-1 comment, say), and elsewhere
// it is a syntax error, not a crash.  So the text is decoded here: valid UTF-8 sequences as
// their code points, and every other byte B as the private-use code point
// kRawByteBase + B; token texts are cut from the original bytes (ByteStream::bytes).
constexpr char32_t kRawByteBase = 0xF700;  // bytes 0x80-0xFF become U+F780-U+F7FF

// The length of the valid UTF-8 sequence at `s[i]` (0 if there is none), and its code point.
size_t decodeUtf8(const std::string& s, size_t i, char32_t& out) {
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  unsigned b0 = byte(i);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  // Lead byte: length, and the range of the second byte (which excludes overlong forms,
  // surrogates and code points above U+10FFFF).
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 == 0xE0) len = 3, lo = 0xA0;
  else if (b0 == 0xED) len = 3, hi = 0x9F;
  else if (b0 >= 0xE1 && b0 <= 0xEF) len = 3;
  else if (b0 == 0xF0) len = 4, lo = 0x90;
  else if (b0 == 0xF4) len = 4, hi = 0x8F;
  else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
  else return 0;
  unsigned b1 = byte(i + 1);
  if (b1 < lo || b1 > hi) return 0;
  char32_t cp = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    unsigned b = byte(i + k);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  out = cp;
  return len;
}

// Also records the byte offset where each code point starts (and, last, the text's size).
std::u32string decodeText(const std::string& text, std::vector<size_t>& offsets) {
  std::u32string out;
  out.reserve(text.size());
  offsets.clear();
  offsets.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size();) {
    offsets.push_back(i);
    char32_t cp;
    size_t len = decodeUtf8(text, i, cp);
    if (len == 0) {
      out.push_back(kRawByteBase + static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  offsets.push_back(text.size());
  return out;
}

class ByteStream : public antlr4::ANTLRInputStream {
 public:
  explicit ByteStream(const std::string& text) : text_(text) { _data = decodeText(text, offsets_); }

  // The bytes of the code points start..stop, exactly as in the text.  (Mapping the
  // private-use code points back to bytes instead would also turn a real U+F780-U+F7FF
  // character, written in valid UTF-8, into a single byte.)
  std::string bytes(size_t start, size_t stop) const {
    if (start >= _data.size() || stop < start) return {};
    stop = std::min(stop + 1, _data.size());
    return text_.substr(offsets_[start], offsets_[stop] - offsets_[start]);
  }

 private:
  const std::string& text_;
  std::vector<size_t> offsets_;
};

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
  ByteStream input(text);
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
    std::string decoded = t->getText();
    RawToken raw{type, input.bytes(t->getStartIndex(), t->getStopIndex()), {}, spaceBefore};
    if (origin.valid()) {
      raw.loc = origin;
    } else {
      raw.loc.file = file;
      raw.loc.line = static_cast<uint32_t>(t->getLine());
      raw.loc.column = static_cast<uint32_t>(t->getCharPositionInLine()) + 1;
      setEnd(raw.loc, decoded);  // columns count characters, and a raw byte is one
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
