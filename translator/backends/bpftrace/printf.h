// SystemTap printf conversions as bpftrace 0.17 printf text (printf.cpp).
//
// SystemTap formats numbers with its own vsprintf (runtime/vsprintf.c, number()), always
// as 64-bit values.  bpftrace hands each conversion to the C library, and its format
// check accepts only the flags '-' and '0'.  Where the two agree the conversion is passed
// through (with the `l` qualifier: bpftrace's %d is 32-bit); where they differ the
// conversion is rebuilt from parts:
//   * '+' and ' ' on %d, '#' on %o %x %X, and %p (= %#x): the sign or prefix is printed as
//     a string and the magnitude unsigned after it; right-justified in a width, the spaces
//     in front are looked up in a table of blank strings by the digit count;
//   * '0' with a precision: SystemTap pads with zeros to the width *and* the precision
//     (C ignores '0' there);
//   * a literal '%': bpftrace 0.17 misreads "%%" before a conversion letter, so it is
//     printed as %c of 37.
#pragma once

#include <string>
#include <vector>

#include "common/print_format.h"

namespace stp2bpf::backends::bpftrace {

// One conversion: bpftrace format text and its arguments, where "$V" stands for the value
// (an expression to evaluate once; `valueReused` says it appears more than once) and
// "$SPACES" for the table of blank strings (@__spaces[n] = n spaces).
struct ConversionText {
  std::string format;
  std::vector<std::string> args;  // may also name "$M": the magnitude, bound to a variable first
  std::string magnitude;          // "$V", or an expression of $V (|$V| for a sign prefix)
  bool valueReused = false;
  bool needsSpaces = false;
  // When not empty: the number of blanks before the conversion (may come out negative:
  // then none), bound to a variable first and named "$PAD" in `args`.
  std::string pad;
};

// Returns false with `why` for what cannot be expressed ('*' widths and precisions, %b %m
// %M, '#' on %c, widths beyond the blank-string table).
bool translateConversion(const FormatSpec& spec, ConversionText& out, std::string& why);

// Literal text for a bpftrace format string: quotes, backslashes and control characters
// escaped, each '%' as "%c" with the argument 37 (appended to `args`).
std::string literalFormat(const std::string& text, std::vector<std::string>& args);

// The number of digits of `m` in `base` (10, 16 or 8), as a bpftrace expression: a binary
// search over the powers of the base.  `m` is read as unsigned (a negative m has the top
// bit set).
std::string digitCount(const std::string& m, int base);

// The widest blank string the table holds (bpftrace strings are at most 63 characters
// with the default BPFTRACE_STRLEN of 64).
constexpr int kMaxSpaces = 60;

}  // namespace stp2bpf::backends::bpftrace
