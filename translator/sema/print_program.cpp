#include "sema/print_program.h"

#include "ast/printer.h"

namespace stp2bpf::sema {

std::string typeSignature(const Symbol& s) {
  std::string out = ast::typeName(s.type);
  if (!s.keyTypes.empty()) {
    out += '[';
    for (size_t i = 0; i < s.keyTypes.size(); ++i) {
      if (i) out += ", ";
      out += ast::typeName(s.keyTypes[i]);
    }
    out += ']';
  }
  return out;
}

namespace {

std::string pointDescription(const AttachPoint& p) {
  std::string out = probeKindName(p.kind);
  switch (p.kind) {
    case ProbeKind::Begin:
    case ProbeKind::End:
    case ProbeKind::Error:
      if (p.priority) out += " priority " + std::to_string(p.priority);
      break;
    case ProbeKind::Timer:
    case ProbeKind::Profile: out += " every " + std::to_string(p.periodNs) + " ns"; break;
    case ProbeKind::Tracepoint: out += " " + p.system + ":" + p.event; break;
    case ProbeKind::KernelFunction:
    case ProbeKind::UserFunction:
      out += (p.isReturn ? " return of " : " entry of ") + (p.path.empty() ? "" : p.path + ":") + p.symbol;
      break;
    case ProbeKind::Usdt: out += " " + p.path + ":" + p.symbol; break;
    case ProbeKind::PerfSoftware: out += " " + p.perfEvent; break;
    case ProbeKind::Unsupported: out += ": " + p.unsupportedReason; break;
    default: break;
  }
  return out;
}

}  // namespace

void printProgram(std::ostream& out, const Program& program) {
  out << "# globals\n";
  for (const Symbol* g : program.globals) {
    out << "global " << g->name;
    if (g->wrap) out << '%';
    if (g->maxEntries) out << '[' << g->maxEntries << ']';
    if (g->init) out << " = " << ast::printToString(*g->init);
    out << "  # " << typeSignature(*g);
    if (g->fromTapset) out << ", from a tapset";
    if (!g->read) out << ", never read";
    out << '\n';
  }
  if (!program.autoPrint.empty()) {
    out << "# printed at exit (written, never read):";
    for (const Symbol* g : program.autoPrint) out << ' ' << g->name;
    out << '\n';
  }
  out << "\n# probes\n";
  for (const DerivedProbe& p : program.probes) {
    out << "probe " << p.point.text;
    if (p.condition) out << " if (" << ast::printToString(*p.condition) << ")";
    out << "  # " << pointDescription(p.point);
    for (const std::string& a : p.aliasChain) out << " <- " << a;
    out << '\n';
    if (!p.locals.empty()) {
      out << "# locals:";
      for (const Symbol* s : p.locals) out << ' ' << s->name << ':' << typeSignature(*s);
      out << '\n';
    }
    out << ast::printToString(*p.body) << "\n\n";
  }
  out << "# functions\n";
  for (const Function* f : program.functions) {
    out << "function " << f->name << ':' << ast::typeName(f->returnType) << " (";
    for (size_t i = 0; i < f->params.size(); ++i)
      out << (i ? ", " : "") << f->params[i]->name << ':' << ast::typeName(f->params[i]->type);
    out << ")";
    if (f->fromTapset) out << "  # from a tapset";
    out << '\n';
    if (f->body) out << ast::printToString(*f->body) << "\n\n";
  }
}

}  // namespace stp2bpf::sema
