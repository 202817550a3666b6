#include "sema/program.h"

namespace stp2bpf::sema {

const char* probeKindName(ProbeKind k) {
  switch (k) {
    case ProbeKind::Begin: return "begin";
    case ProbeKind::End: return "end";
    case ProbeKind::Error: return "error";
    case ProbeKind::Never: return "never";
    case ProbeKind::Timer: return "timer";
    case ProbeKind::Profile: return "profile";
    case ProbeKind::Tracepoint: return "tracepoint";
    case ProbeKind::KernelFunction: return "kernel function";
    case ProbeKind::UserFunction: return "user function";
    case ProbeKind::Usdt: return "USDT marker";
    case ProbeKind::PerfSoftware: return "software perf event";
    case ProbeKind::Unsupported: return "unsupported";
  }
  return "?";
}

Symbol* Program::newSymbol(SymbolKind kind, std::string name, SourceLocation loc) {
  auto s = std::make_unique<Symbol>();
  s->kind = kind;
  s->name = std::move(name);
  s->declLoc = loc;
  symbolStore_.push_back(std::move(s));
  return symbolStore_.back().get();
}

Function* Program::newFunction() {
  functionStore_.push_back(std::make_unique<Function>());
  return functionStore_.back().get();
}

Symbol* Program::global(const std::string& name) const {
  for (Symbol* s : globals)
    if (s->name == name) return s;
  return nullptr;
}

}  // namespace stp2bpf::sema
