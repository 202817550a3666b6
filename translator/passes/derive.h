// Helpers shared by the elaboration passes.
#pragma once

#include <vector>

#include "passes/pass_context.h"

namespace stp2bpf::passes {

// Derives the probes of one script's probe declarations into ctx.program.probes.
void deriveProbesOf(PassContext& ctx, const ast::Script& script, bool fromTapset);

// Aliases stp2bpf writes on the fly for probe families SystemTap implements with
// debuginfo, e.g. `syscall.NAME` from the syscall tracepoints (tapset/syscalls.cpp).
// Returns nothing when the point is not such a family.
std::vector<ast::ProbeAliasDecl*> synthesizeAliases(PassContext& ctx, const ast::ProbePoint& point);

}  // namespace stp2bpf::passes
