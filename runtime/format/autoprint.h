// Auto-printing of globals at exit: what the probes stap's translator adds
// (add_global_var_display) print for a global the script writes but never reads.  Each
// global gets its own end probe, after the user's end probes, in declaration order.
// Formats as the generated code has them (stap -p3), with what vsprintf.c makes of them:
//   long         name=%d                      (decimal, e.g. "n=-5")
//   string       name="%#s"                   ('#' does nothing for %s: the bytes, raw)
//   statistics   name @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d
//                ('#' does nothing for %d: decimal); with no values the generated code
//                prints the literal "name @count=0x0" instead
//   array        foreach (v = [k...] in name-): one line per element, sorted on the value,
//                decreasing (for statistics on @count), ties in list order (sort.h):
//                  name[K1,K2,...]=%d      long values
//                  name[K1,...]="%#s"      string values
//                  name[K1,...] @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d  statistics
//                with each key K as %#d (long) or "%#s" (string).
// Every line ends with "\n" and is one printf (at most kStpBufferSize bytes).
// Note: docs/DESIGN.md used to say `name=%#x` for longs; SystemTap 4.8 prints decimal.
#pragma once

#include <string>
#include <vector>

#include "format/sort.h"
#include "format/stats.h"
#include "format/value.h"

namespace stp2bpf::runtime::format {

std::string autoPrintLong(const std::string& name, int64_t value);
std::string autoPrintString(const std::string& name, const std::string& value);
// `stats` is the aggregate (aggregateStats) of the global.
std::string autoPrintStats(const std::string& name, const Stats& stats);

struct AutoPrintResult {
  std::string text;
  // The auto-print probe runs with an action budget (maxAction, MAXACTION_INTERRUPTIBLE
  // by default): the sort costs 1 and each element 2, checked after its line is printed,
  // so with the default 5000 elements are printed before the probe stops with
  // "MAXACTION exceeded" (stap then reports "ERROR: MAXACTION exceeded near identifier
  // 'printf' at <input>:3:1", the location in the synthesized probe; for the sort it is
  // "keyword at <input>:2:1").
  bool maxActionExceeded = false;
};

// `entries` in the array's list order (see sort.h); statistics values aggregated
// (aggregateArrayStats).
AutoPrintResult autoPrintArray(const std::string& name, const std::vector<ArrayEntry>& entries,
                               int64_t maxAction = kMaxActionInterruptible);

}  // namespace stp2bpf::runtime::format
