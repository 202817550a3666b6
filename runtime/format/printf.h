// printf, print, println, printd, printdln and their sprint* forms, byte-exact with
// SystemTap 4.8.
//
// What runs in SystemTap is not _stp_vsnprintf's format parser but per-call code the
// translator generates (stp_printf_N / stp_sprintf_N, see `stap -p3`): a size pass with
// number_size/_stp_vsprint_*_size, a reservation of that many bytes (at most
// STP_BUFFER_SIZE) in the print buffer, then a write pass with number()/_stp_vsprint_*
// into it.  This file reproduces both passes.  The behaviours that follow from them:
//
// Numbers (vsprintf.c number()), all 64-bit; the `l` modifier changes nothing:
//   * %d %i signed; %u %o %x %X print the value's 64-bit two's complement as unsigned
//     (printf("%u", -1) is 18446744073709551615, %x of -1 is ffffffffffffffff).
//   * %p is %#x ("0x" prefix, lower case); %X with '#' prints "0X".
//   * '#' prints the prefix also for 0: %#x of 0 is "0x0", %#o of 0 is "00".  '#' does
//     nothing for %d %i %u.
//   * precision is the minimum number of digits; 0 is still printed with precision 0.
//   * '+' and ' ' only act on %d/%i; '0' pads with zeros after sign and prefix; '-' wins
//     over '0'.
// Strings (_stp_vsprint_memory 's'): precision is the maximum number of bytes, the string
//   ends at its first NUL; '#' does nothing (so "%#s" prints the string raw, unescaped);
//   '0' pads with spaces as usual and then writes one NUL byte after the field
//   (printf("%05s", "ab") writes "   ab\0").
// %c (_stp_vsprint_char): the low byte of the value; with '#', bytes that are not
//   printable ASCII and ' and \ are escaped as \a \b \f \n \r \t \v \' \\ or \ooo.
// %b (_stp_vsprint_binary): the value's low 1, 2, 4 or 8 bytes in host byte order.  The
//   byte count is the precision if it is 1/2/4/8, else the width if that is 1/2/4/8, else
//   8; a wider width pads with NUL bytes (before the value, after it with '-').
// %m / %M (_stp_vsprint_memory 'm'/'M'): SystemTap reads `precision` bytes (1 if the
//   precision is absent or 0) of kernel memory ('#': user memory) at the address given.
//   Here the caller gives the bytes it read as a string argument.  %m writes them raw,
//   %M as two lower-case hex digits each; width pads with spaces, '0' appends a NUL.  If
//   the string holds fewer bytes than needed, that is SystemTap's read fault: the whole
//   printf prints nothing (the probe then stops with "read fault"), reported through
//   `memoryFault`.
// Widths and precisions given as `*` take the next argument, truncated to int and then
//   clamped to 0..remaining space: a negative `*` width is 0 (not left alignment, unlike
//   C and unlike _stp_vsnprintf) and a negative `*` precision is 0 (so "%.*s" with -1
//   prints nothing).
// One printf writes at most kStpBufferSize bytes: the size pass is clamped to that, and
//   the write pass clamps each width and precision to the space that is left.
// Literal text ends at a NUL byte, as the C string literal it becomes does.
#pragma once

#include <string>
#include <vector>

#include "common/print_format.h"
#include "format/value.h"

namespace stp2bpf::runtime::format {

using stp2bpf::FormatSpec;

// printf(format, args...): `specs` as parsePrintFormat gives them; `args` in order, one
// for each `*` and one for each conversion (long for numbers, %c and %b; string for %s;
// the bytes read for %m/%M).  Throws std::invalid_argument if the arguments do not match
// the conversions (the translator's type checking makes that a bug of the caller).
std::string formatPrintf(const std::vector<FormatSpec>& specs, const std::vector<Value>& args,
                         bool* memoryFault = nullptr);

// sprintf(format, args...): the string value, i.e. what stp_sprintf_N writes into a
// MAXSTRINGLEN buffer, up to its first NUL (so "%c" of 0 or "%05s" end the string there)
// and at most maxStringLen - 1 bytes.
std::string formatSprintf(const std::vector<FormatSpec>& specs, const std::vector<Value>& args,
                          bool* memoryFault = nullptr, int maxStringLen = kMaxStringLen);

// print(a, b, ...): each long as %d and each string as %s, nothing in between (the
// translator compiles print to one printf, e.g. "%lld%s").  println adds "\n", printd puts
// `delimiter` (raw bytes) between the arguments, printdln does both.
std::string formatPrint(const std::vector<Value>& args);
std::string formatPrintln(const std::vector<Value>& args);
std::string formatPrintd(const std::string& delimiter, const std::vector<Value>& args);
std::string formatPrintdln(const std::string& delimiter, const std::vector<Value>& args);

// sprint, sprintln, sprintd, sprintdln: the same through sprintf's buffer.
std::string formatSprint(const std::vector<Value>& args, int maxStringLen = kMaxStringLen);
std::string formatSprintln(const std::vector<Value>& args, int maxStringLen = kMaxStringLen);
std::string formatSprintd(const std::string& delimiter, const std::vector<Value>& args,
                          int maxStringLen = kMaxStringLen);
std::string formatSprintdln(const std::string& delimiter, const std::vector<Value>& args,
                            int maxStringLen = kMaxStringLen);

// The format specs print/println/printd/printdln compile to (literal delimiters, %d for
// longs and %s for strings), for callers that want to keep them.
std::vector<FormatSpec> printSpecs(const std::vector<Value>& args, const std::string* delimiter,
                                   bool newline);

}  // namespace stp2bpf::runtime::format
