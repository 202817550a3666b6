// A small pass manager: runs passes in order and stops after the first pass that recorded
// an error (all errors of that pass are still reported).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "passes/pass_context.h"

namespace stp2bpf::passes {

struct Pass {
  std::string name;
  std::function<void(PassContext&)> run;
};

class PassManager {
 public:
  void add(Pass p) { passes_.push_back(std::move(p)); }
  // Returns false if a pass recorded an error.
  bool run(PassContext& ctx, std::ostream* trace = nullptr) const;

 private:
  std::vector<Pass> passes_;
};

// Pass 2 of stp2bpf (SystemTap's "elaborate"): the passes below, in order.
PassManager elaborationPasses();

// The individual passes (one per file in passes/).
void rewriteConditionalTargets(PassContext& ctx);  // compat_rewrite.cpp
void deriveProbes(PassContext& ctx);               // derive_probes.cpp
void rewriteEntryValues(PassContext& ctx);         // entry_values.cpp
void resolveSymbols(PassContext& ctx);             // resolve.cpp
void resolveTargets(PassContext& ctx);             // targets.cpp
void inferTypes(PassContext& ctx);                 // types.cpp
void analyseUsage(PassContext& ctx);               // usage.cpp

}  // namespace stp2bpf::passes
