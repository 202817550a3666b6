// String literal escapes, as SystemTap reads and writes them.
#pragma once

#include <string>
#include <string_view>

namespace stp2bpf {

// Decodes the text between the quotes of a SystemTap string literal.  Known escapes are
// `\a \b \t \n \v \f \r \\ \ooo` (one to three octal digits) and `\xHH` (one or two hex
// digits); for any other character the backslash is dropped (`\"` is `"`, `\q` is `q`),
// which is what SystemTap does.
std::string decodeStringEscapes(std::string_view raw);

// Writes a value as a SystemTap string literal, quotes included, escaping what must be
// escaped so that decodeStringEscapes() gives the value back.
std::string quoteString(std::string_view value);

}  // namespace stp2bpf
