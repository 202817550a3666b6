// String value sets and interning.
//
// bpftrace 0.17 cannot build strings at run time (no concatenation, no substr), and BPF
// C pays for every string it copies.  Many scripts, though, only ever move a handful of
// known strings around (Tetris's board holds 10 distinct strings).  This analysis computes,
// for every string variable and array, the finite set of values it can hold, when there is
// one (literals, concatenations and substrings of such values, conditionals), up to a
// limit.  Such "interned" strings can be carried as small integers: value 0 is always the
// empty string, so a missing array entry still reads as "".  Concatenation and substr of
// interned strings become lookups in tables computed here.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "passes/pass_context.h"

namespace stp2bpf::passes {

struct InternedStrings {
  // Every interned value; ids index this vector; values[0] == "".
  std::vector<std::string> values;
  std::map<std::string, int64_t> ids;
  // Symbols whose values are all interned (scalars, or array values).
  std::set<const sema::Symbol*> symbols;
  // Expressions whose value is an interned string (value sets known and finite), with
  // their possible values.
  std::map<const ast::Expr*, std::set<int64_t>> expressions;

  bool isInterned(const ast::Expr* e) const { return expressions.count(e) > 0; }
  bool isInterned(const sema::Symbol* s) const { return symbols.count(s) > 0; }
  int64_t id(const std::string& v) const { return ids.at(v); }
};

// Analyses the lowered program.  `maxValues` bounds the values per set (beyond it a set
// becomes "any string").
InternedStrings internStrings(PassContext& ctx, size_t maxValues = 256);

}  // namespace stp2bpf::passes
