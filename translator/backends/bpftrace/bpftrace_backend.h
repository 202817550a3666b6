// The bpftrace backend: the lowered program as a readable bpftrace script for bpftrace
// 0.17 (Debian 12's) and newer.
//
// What bpftrace 0.17 cannot express directly is emulated in the script itself, so that
// plain `bpftrace -q script.bt` prints what SystemTap would:
//   * one BEGIN and one END: SystemTap's begin/end probes are merged in priority order; END
//     runs the error probes after a run-time error, else the end probes, with the display
//     of unread globals (auto-print) between end probes of priority <= 0 and later ones;
//   * exit() ends the probe immediately in bpftrace, but in SystemTap the probe runs to its
//     end and no new probe starts: exit() sets a flag checked at the end of the probe and
//     at the start of every other probe;
//   * 64-bit signed division, modulo and right shift (bpftrace's are unsigned);
//   * division by zero, @min/@max/@avg of an empty statistic and loops that exceed
//     MAXACTION print SystemTap's ERROR line and end the run with status 1;
//   * `in`, foreach, `delete ARRAY` and auto-printing use key logs kept beside the arrays
//     (dense: @a__key[1..@a__n]; bpftrace's clear() is asynchronous, so deletes are loops);
//   * sorted foreach is a selection, pass by pass, of the next entry in sort order;
//   * statistics (`<<<`, @count ... @avg) are plain maps of counts and sums, histograms
//     maps of bucket counts; print(@hist_log/@hist_linear) writes SystemTap's exact text
//     (runtime/stat-common.c) with tables of blanks and bars made in BEGIN;
//   * printf conversions bpftrace lacks ('+', ' ', '#', %p, '0' with a precision) are
//     rebuilt from parts (printf.h);
//   * strings with finitely many values are interned (passes/string_values.h), which is
//     how concatenation and substr work without run-time strings;
//   * maps SystemTap would not print are cleared in END so bpftrace does not dump them.
// bpftrace 0.17 has only plain bounded loops, whose every pass the kernel's verifier walks.
// Generated loops therefore keep what they carry from pass to pass in maps (state maps,
// @__name[cpu]) and read loop-invariant values from maps where they are used: the verifier
// then sees every pass alike instead of one path per precise value.
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
  bool childCommand = false; // run with -c CMD: target() is bpftrace's cpid (else $1, the -x pid)
};

// Returns the script, or an empty string when diagnostics were recorded.
std::string emit(passes::PassContext& ctx, const Options& options);

}  // namespace stp2bpf::backends::bpftrace
