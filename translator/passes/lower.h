// Lowering for BPF (pass 3, before the backends): the elaborated program is rewritten, in
// place, into a form both backends can emit statement by statement:
//   * lower_effects.cpp: expressions have no side effects any more; assignments, ++/--,
//     calls with effects, and short-circuit operators and conditionals with effects in
//     their operands become statements, in SystemTap's evaluation order (array keys
//     before the assigned value, left before right); script functions are inlined;
//     `for`/`while` become LoopStmt; `@defined` is folded; constant conditions are folded.
//   * every LoopStmt gets an iteration bound: exact for counting loops the analysis
//     understands, else MAXACTION with a run-time check (SystemTap's MAXACTION counts
//     statements per probe hit, so no loop can legitimately run more often).
// After lowering, expressions are pure and statements are one of: an assignment (also
// compound and `<<<`), ++/--, a print, a call to a builtin with effects, delete, if,
// loop, foreach, break/continue/next, try, block.
#pragma once

#include "passes/pass_manager.h"

namespace stp2bpf::passes {

void lowerEffects(PassContext& ctx);  // lower_effects.cpp

PassManager loweringPasses();

// True if evaluating `e` can change program state (assignments, ++/--, printing, calls to
// script functions or to builtins with effects).
bool hasSideEffects(const sema::Program& prog, const ast::Expr* e);

}  // namespace stp2bpf::passes
