// SystemTap printf conversions as bpftrace 0.17 printf conversions (printf.cpp).
#pragma once

#include <string>

#include "common/print_format.h"

namespace stp2bpf::backends::bpftrace {

// One conversion, e.g. %5d -> %5ld (bpftrace's %d is 32-bit).  Returns false with `why`
// for what bpftrace 0.17's printf cannot do ('+', ' ' and '#' flags, '*' widths, %b %m %M).
bool translateConversion(const FormatSpec& spec, std::string& out, std::string& why);

// Literal text for a bpftrace format string: quotes, backslashes, '%' and control
// characters escaped.
std::string escapeFormat(const std::string& text);

}  // namespace stp2bpf::backends::bpftrace
