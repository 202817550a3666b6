// printf-style format strings as SystemTap 4.8 accepts them:
//   %[flag][width][.precision][l]conversion
// with at most one flag of `- + space # 0`, width and precision as digits or `*`, an
// optional (ignored) `l`, and conversions d i u o x X p s c b m M, plus `%%`.
// `%lld`, `%hd`, `%e`, `%f` and friends are rejected, as SystemTap rejects them.
#pragma once

#include <string>
#include <vector>

namespace stp2bpf {

struct FormatSpec {
  enum class Conv {
    Literal,          // text between conversions (with `%%` already turned into `%`)
    SignedDecimal,    // d i
    UnsignedDecimal,  // u
    Octal,            // o
    HexLower,         // x
    HexUpper,         // X
    Pointer,          // p
    String,           // s
    Char,             // c
    Binary,           // b: the value's bytes, width 1, 2, 4 or 8
    Memory,           // m: `precision` bytes of memory
    MemoryHex,        // M: the same, in hex
  };
  enum class Size { None, Static, Dynamic };  // absent, digits, `*`

  Conv conv = Conv::Literal;
  std::string literal;
  bool left = false, plus = false, space = false, alternate = false, zeroPad = false;
  Size widthKind = Size::None;
  int width = 0;
  Size precisionKind = Size::None;
  int precision = 0;

  // How many arguments the conversion consumes (0 for literals; 1 + one per `*`).
  int argumentCount() const;
  bool takesString() const { return conv == Conv::String; }
  bool takesNumber() const { return conv != Conv::Literal && conv != Conv::String; }
};

struct FormatParseError {
  std::string message;
  size_t offset = 0;  // byte offset of the offending '%' in the format
};

// Parses `format`; returns false and fills `error` when it is invalid.
bool parsePrintFormat(const std::string& format, std::vector<FormatSpec>& out,
                      FormatParseError& error);

// Writes the components back as a format string (used when printing the AST).
std::string formatToString(const std::vector<FormatSpec>& specs);

}  // namespace stp2bpf
