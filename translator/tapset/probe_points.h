// SystemTap's built-in probe point families, as a table of patterns.  A probe point that
// remains after alias expansion is matched against the table and turned into attach
// points (several for a wildcard such as kernel.trace("sched:*")).
#pragma once

#include <string>
#include <vector>

#include "ast/ast.h"
#include "sema/program.h"
#include "tapset/kernel_info.h"

namespace stp2bpf::tapset {

enum class MatchResult {
  Matched,      // `out` has the attach points (may be empty for a wildcard matching nothing)
  NotFound,     // the family is known but the point does not exist here (e.g. no such tracepoint)
  Unknown,      // no built-in family matches the components
  Invalid,      // the family matched but its arguments are invalid (`error` says why)
};

MatchResult mapProbePoint(const ast::ProbePoint& point, KernelInfo& kernel,
                          std::vector<sema::AttachPoint>& out, std::string& error);

// The point as SystemTap writes it, e.g. `kernel.function("f").return` (for pp()).
std::string probePointText(const ast::ProbePoint& point);

}  // namespace stp2bpf::tapset
