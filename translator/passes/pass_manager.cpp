#include "passes/pass_manager.h"

#include "passes/lower.h"

#include <chrono>
#include <cstdlib>

namespace stp2bpf::passes {

bool PassManager::run(PassContext& ctx, std::ostream* trace) const {
  for (const Pass& p : passes_) {
    size_t before = ctx.diags.errorCount();
    auto start = std::chrono::steady_clock::now();
    p.run(ctx);
    if (trace) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start).count();
      *trace << "pass " << p.name << ": " << us << " us (" << ctx.program.probes.size() << " probes, "
             << ctx.program.functions.size() << " functions)\n";
    }
    if (ctx.diags.errorCount() != before) return false;
  }
  return true;
}

PassManager elaborationPasses() {
  PassManager pm;
  pm.add({"compat-rewrite", rewriteConditionalTargets});
  pm.add({"derive-probes", deriveProbes});
  pm.add({"entry-values", rewriteEntryValues});
  pm.add({"resolve", resolveSymbols});
  pm.add({"targets", resolveTargets});
  pm.add({"types", inferTypes});
  pm.add({"usage", analyseUsage});
  return pm;
}

PassManager loweringPasses() {
  PassManager pm;
  pm.add({"lower", lowerEffects});
  return pm;
}

void Limits::apply(const std::map<std::string, std::string>& defines, Diagnostics& diags) {
  struct Known {
    const char* name;
    int64_t* value;
    int64_t min;
  };
  Known known[] = {{"MAXACTION", &maxAction, 1}, {"MAXSTRINGLEN", &maxStringLen, 2},
                   {"MAXMAPENTRIES", &maxMapEntries, 1}, {"MAXNESTING", &maxNesting, 1},
                   {"MAXTRYLOCK", &maxTryLock, 1}};
  for (const auto& [name, value] : defines) {
    bool found = false;
    for (Known& k : known) {
      if (name != k.name) continue;
      found = true;
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 0);
      if (value.empty() || *end != '\0' || v < k.min)
        diags.error({}, "-D " + name + "=" + value + ": expected a number of at least " +
                            std::to_string(k.min));
      else
        *k.value = v;
    }
    if (!found) extra[name] = value;
  }
}

}  // namespace stp2bpf::passes
