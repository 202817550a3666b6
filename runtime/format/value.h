// Values and limits shared by the user-space formatting library (runtime/format).
//
// The library reproduces, byte for byte, what SystemTap 4.8's kernel runtime prints
// (/usr/share/systemtap/runtime: vsprintf.c, stat-common.c, stat.c, map.c) together with
// the C code stap's translator generates around it (seen with `stap -p3`).  It does no
// I/O: every function returns the bytes SystemTap would have written.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace stp2bpf::runtime::format {

// A script value: SystemTap's `long` or `string`.
using Value = std::variant<int64_t, std::string>;

// transport/transport.h STP_BUFFER_SIZE: the per-CPU print buffer.  One printf (or one
// print/println/printd call, which the translator compiles to one printf) writes at most
// this many bytes; widths and precisions are clamped to it.
inline constexpr int kStpBufferSize = 8192;

// runtime_defines.h MAXSTRINGLEN on 64-bit hosts: a script string holds at most
// kMaxStringLen - 1 bytes (sprintf, sprint and string assignment truncate to that).
inline constexpr int kMaxStringLen = 512;

// runtime_defines.h MAXACTION_INTERRUPTIBLE (INTERRUPTIBLE is 1 by default), the action
// budget of begin/end probes, which is what the auto-print probes run with.
inline constexpr int64_t kMaxActionInterruptible = 10000;

// The error the generated code raises ("ERROR: empty aggregate near ...") instead of
// reading @min/@max/@avg/@variance or printing a histogram of a statistic with no values.
inline constexpr const char* kEmptyAggregateError = "empty aggregate";

// What a script string is after the C runtime has stored it: the bytes up to the first
// NUL, at most maxStringLen - 1 of them.
std::string toScriptString(const std::string& raw, int maxStringLen = kMaxStringLen);

}  // namespace stp2bpf::runtime::format
