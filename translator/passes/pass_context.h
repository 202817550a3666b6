// What every pass works on.  Passes take the context and record errors in its
// Diagnostics; the pass manager stops after the first pass that recorded one.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ast/context.h"
#include "common/diagnostics.h"
#include "sema/program.h"
#include "tapset/kernel_info.h"
#include "tapset/library.h"

namespace stp2bpf::passes {

// SystemTap's run-time limits (`-D NAME=VALUE`), with SystemTap's defaults.
struct Limits {
  int64_t maxAction = 1000;       // MAXACTION: statements per probe hit (bounds loops)
  int64_t maxStringLen = 128;     // MAXSTRINGLEN: bytes per string, including the NUL
  int64_t maxMapEntries = 2048;   // MAXMAPENTRIES: entries per global array
  int64_t maxNesting = 10;        // MAXNESTING: function call depth
  int64_t maxTryLock = 1000;      // MAXTRYLOCK (accepted, unused by BPF)

  // Applies -D definitions; unknown names are kept for the backends (extra()).
  void apply(const std::map<std::string, std::string>& defines, Diagnostics& diags);
  std::map<std::string, std::string> extra;
};

struct PassContext {
  PassContext(ast::AstContext& a, SourceManager& s, Diagnostics& d, tapset::TapsetLibrary& l,
              tapset::KernelInfo& k)
      : ast(a), sources(s), diags(d), library(l), kernel(k) {}

  ast::AstContext& ast;
  SourceManager& sources;
  Diagnostics& diags;
  tapset::TapsetLibrary& library;
  tapset::KernelInfo& kernel;
  ast::Script* userScript = nullptr;
  Limits limits;
  bool guru = false;
  // Lowering: keep calls to script functions (the C backend makes them BPF-to-BPF
  // calls); otherwise every function is inlined (bpftrace has no functions).
  bool keepFunctionCalls = false;
  int verbose = 0;
  sema::Program program;
};

}  // namespace stp2bpf::passes
