// The bpftrace backend: the lowered program as a readable bpftrace script for bpftrace
// 0.17 (Debian 12's) and newer.
//
// What bpftrace 0.17 cannot express directly is emulated in the script itself, so that
// plain `bpftrace -q script.bt` prints what SystemTap would:
//   * one BEGIN and one END: SystemTap's begin/end probes are merged in priority order;
//   * exit() ends the probe immediately in bpftrace, but in SystemTap the probe runs to its
//     end: exit() sets a flag checked when the probe returns;
//   * 64-bit signed division, modulo and right shift (bpftrace's are unsigned);
//   * division by zero and loops that exceed MAXACTION print SystemTap's ERROR line;
//   * `in`, foreach and auto-printing use key logs kept beside the arrays;
//   * statistics (`<<<`, @count ... @avg) are plain maps of counts and sums;
//   * strings with finitely many values are interned (passes/string_values.h), which is
//     how concatenation and substr work without run-time strings;
//   * maps SystemTap would not print are cleared in END so bpftrace does not dump them.
// Constructs with no sound translation are located diagnostics that name the construct
// and point to --target=c.
#pragma once

#include <string>

#include "passes/pass_context.h"

namespace stp2bpf::backends::bpftrace {

struct Options {
  std::string scriptName;  // for the header comment
  int64_t foreachMax = 16;   // entries a foreach can visit (bpftrace's verifier walks every one)
  bool endMarker = false;    // print runtime::kEndMarker last in END (for `stp2bpf run`)
};

// Returns the script, or an empty string when diagnostics were recorded.
std::string emit(passes::PassContext& ctx, const Options& options);

}  // namespace stp2bpf::backends::bpftrace
