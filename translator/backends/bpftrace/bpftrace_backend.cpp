#include "backends/bpftrace/bpftrace_backend.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "ast/visitor.h"
#include "backends/bpftrace/builtins.h"
#include "backends/bpftrace/printf.h"
#include "common/print_format.h"
#include "passes/string_values.h"
#include "tapset/builtins.h"
#include "tapset/kernel_info.h"

namespace stp2bpf::backends::bpftrace {

using namespace ast;
using sema::DerivedProbe;
using sema::ProbeKind;
using sema::Symbol;

namespace {

// SystemTap's histogram layout (runtime/stat.h, stat-common.c).
constexpr int64_t kLogBuckets = 128;  // HIST_LOG_BUCKETS; bucket 64 (HIST_LOG_BUCKET0) holds 0
constexpr int kHistWidth = 50;        // HIST_WIDTH: the longest bar

// bpftrace identifiers cannot contain '$' (SystemTap's can, after the first character).
std::string mangle(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '$' ? std::string("_S_") : std::string(1, c);
  return out;
}

std::string btString(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string locationComment(const SourceLocation& loc) {
  if (!loc.valid()) return "";
  std::string name = loc.file->name();
  size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return name + ":" + std::to_string(loc.line);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string num(int64_t v) { return std::to_string(v); }

// A histogram a statistic is printed or indexed with (SystemTap allows one per variable).
struct HistogramShape {
  HistogramKind kind = HistogramKind::Log;
  int64_t start = 0, stop = 0, interval = 1;
  const Histogram* node = nullptr;
  int64_t buckets() const { return kind == HistogramKind::Log ? kLogBuckets : (stop - start) / interval + 3; }
};

// Finds things the emitter must know before it starts: arrays that need key logs, whether
// exit() is called, histograms, and which locals are ever read.
class Survey : public Visitor {
 public:
  using Visitor::visit;
  explicit Survey(const sema::Program& p) : prog(p) {}
  const sema::Program& prog;
  // Arrays iterated, tested with `in`, deleted whole, or auto-printed.
  std::set<const Symbol*> keyLogged;
  std::map<const Symbol*, HistogramShape> histograms;
  std::set<const Symbol*> readLocals;
  bool exitCalled = false;

  void visit(ArrayIn& n) override {
    if (const Symbol* s = prog.symbolOf(n.element->base)) keyLogged.insert(s);
    Visitor::visit(n);
  }
  void visit(ForeachStmt& n) override {
    if (const Symbol* s = prog.symbolOf(n.array)) keyLogged.insert(s);
    // Keys and value are written, not read.
    visit(n.array);
    for (Expr* s : n.slice) visit(s);
    visit(n.limit);
    visit(n.body);
  }
  void visit(DeleteStmt& n) override {
    if (auto* a = as<ArrayIndex>(n.target)) {
      for (Expr* i : a->indices) visit(i);
      return;
    }
    if (const Symbol* s = prog.symbolOf(n.target); s && !s->keyTypes.empty()) keyLogged.insert(s);
  }
  void visit(Assignment& n) override {
    if (auto* v = as<Variable>(n.target)) {
      if (n.op != AssignOp::Assign) visit(*v);  // x += ... reads x
    } else {
      visit(n.target);
    }
    visit(n.value);
  }
  void visit(TryStmt& n) override {
    visit(n.body);
    visit(n.handler);
  }
  void visit(Variable& n) override {
    if (const Symbol* s = prog.symbolOf(&n); s && s->kind != sema::SymbolKind::Global) readLocals.insert(s);
  }
  void visit(FunctionCall& n) override {
    if (n.name == "exit") exitCalled = true;
    Visitor::visit(n);
  }
  void visit(Histogram& n) override {
    Expr* o = n.operand;
    if (auto* a = as<ArrayIndex>(o)) o = a->base;
    if (const Symbol* s = prog.symbolOf(o); s && !histograms.count(s)) {
      HistogramShape h;
      h.kind = n.histKind;
      h.start = n.start;
      h.stop = n.stop;
      h.interval = n.interval > 0 ? n.interval : 1;
      h.node = &n;
      histograms[s] = h;
    }
    Visitor::visit(n);
  }
};

bool containsNext(Stmt* s) {
  struct F : Visitor {
    using Visitor::visit;
    bool found = false;
    void visit(NextStmt&) override { found = true; }
  } f;
  f.visit(s);
  return f.found;
}

bool endsFlow(const Stmt* s) {
  return s && (s->kind == Kind::BreakStmt || s->kind == Kind::ContinueStmt || s->kind == Kind::NextStmt);
}

class Emitter {
 public:
  Emitter(passes::PassContext& ctx, const Options& opt)
      : ctx_(ctx), prog_(ctx.program), opt_(opt), survey_(ctx.program),
        errorsAtStart_(ctx.diags.errorCount()) {}

  std::string run() {
    strings_ = passes::internStrings(ctx_);
    for (auto& p : prog_.probes) {
      survey_.visit(p.body);
      survey_.visit(p.condition);
    }
    for (const Symbol* g : prog_.autoPrint)
      if (!g->keyTypes.empty()) survey_.keyLogged.insert(g);
    // Linear histogram ranges were checked by the type pass (passes/types.cpp).

    header();
    std::vector<DerivedProbe*> begins, ends, errors, others;
    for (auto& p : prog_.probes) {
      switch (p.point.kind) {
        case ProbeKind::Begin: begins.push_back(&p); break;
        case ProbeKind::End: ends.push_back(&p); break;
        case ProbeKind::Error: errors.push_back(&p); break;
        default: others.push_back(&p); break;
      }
    }
    auto byPriority = [](DerivedProbe* a, DerivedProbe* b) { return a->point.priority < b->point.priority; };
    std::stable_sort(begins.begin(), begins.end(), byPriority);
    std::stable_sort(ends.begin(), ends.end(), byPriority);
    std::stable_sort(errors.begin(), errors.end(), byPriority);

    beginBlock(begins);
    for (DerivedProbe* p : others) probe(*p);
    endBlock(ends, errors);
    if (ctx_.diags.errorCount() != errorsAtStart_) return "";
    return out_.str();
  }

  // Inserts the tables into BEGIN once all expressions have been emitted (tables are
  // discovered while emitting).
  std::string finish(std::string text) {
    std::ostringstream tables;
    if (strings_.values.size() > 1) {
      tables << "  // Interned strings: id -> value, and each value's rank in byte order\n";
      std::vector<size_t> order(strings_.values.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return strings_.values[a] < strings_.values[b]; });
      for (size_t i = 0; i < strings_.values.size(); ++i)
        tables << "  @__str[" << i << "] = " << btString(strings_.values[i]) << ";\n";
      for (size_t r = 0; r < order.size(); ++r) tables << "  @__rank[" << order[r] << "] = " << r << ";\n";
      if (needLengths_)
        for (size_t i = 0; i < strings_.values.size(); ++i)
          tables << "  @__strlen[" << i << "] = " << strings_.values[i].size() << ";\n";
    }
    for (const std::string& l : tableLines_) tables << "  " << l << "\n";
    if (needSpaces_) {
      tables << "  // Blank strings for padding (printf widths, histograms): @__spaces[n] is n spaces\n";
      for (int i = 0; i <= kMaxSpaces; ++i) tables << "  @__spaces[" << i << "] = \"" << std::string(i, ' ') << "\";\n";
    }
    if (needBars_) {
      tables << "  // Histogram bars: @__bars[n] is n '@'\n";
      for (int i = 0; i <= kHistWidth; ++i) tables << "  @__bars[" << i << "] = \"" << std::string(i, '@') << "\";\n";
    }
    tables << typePreamble();
    std::string marker = "  // @@TABLES@@\n";
    size_t at = text.find(marker);
    if (at != std::string::npos) text.replace(at, marker.size(), tables.str());
    std::string empty = "// SystemTap begin probes, in priority order, after the global initialisers\nBEGIN {\n}\n\n";
    size_t e = text.find(empty);
    if (e != std::string::npos) text.erase(e, empty.size());
    return text;
  }

 private:
  // ================================================================ layout

  void line(const std::string& text) {
    for (int i = 0; i < indent_; ++i) out_ << "  ";
    out_ << text << '\n';
  }
  void open(const std::string& head) {
    line(head + " {");
    ++indent_;
  }
  void close() {
    --indent_;
    line("}");
  }
  void orElse() {
    --indent_;
    line("} else {");
    ++indent_;
  }

  void header() {
    out_ << "#!/usr/bin/env bpftrace\n"
         << "// Translated from " << (opt_.scriptName.empty() ? "a SystemTap script" : opt_.scriptName)
         << " by stp2bpf, for bpftrace 0.17 or newer.\n"
         << "// Run with `bpftrace -q` (or `stp2bpf run --backend=bpftrace`); strings longer than\n"
         << "// bpftrace's BPFTRACE_STRLEN (64 by default) are cut, SystemTap's MAXSTRINGLEN is "
         << ctx_.limits.maxStringLen << ".\n"
         << "// Limits: MAXACTION " << ctx_.limits.maxAction << " (iterations per loop), foreach over at most "
         << opt_.foreachMax << " entries per array.\n"
         << "// Loop state lives in maps keyed by cpu (@__...[cpu]): the verifier then sees every\n"
         << "// pass of a loop alike, and walks each bounded loop once per pass, not once per path.\n";
  }

  // ================================================================ probes

  std::string probeSpec(const DerivedProbe& p, std::string& why) {
    const sema::AttachPoint& a = p.point;
    const tapset::KernelFeatures& kf = ctx_.kernel.features();
    switch (a.kind) {
      case ProbeKind::Timer: {
        if (a.timerUnit == "s" || a.timerUnit == "sec") return "interval:s:" + num(a.timerCount);
        if (a.timerUnit == "ms" || a.timerUnit == "msec") return "interval:ms:" + num(a.timerCount);
        if (a.timerUnit == "us" || a.timerUnit == "usec") return "interval:us:" + num(a.timerCount);
        if (a.timerUnit == "hz") return "interval:hz:" + num(a.timerCount);
        // ns and jiffies have no unit in bpftrace 0.17: use microseconds.
        if (a.periodNs % 1000 == 0) return "interval:us:" + num(a.periodNs / 1000);
        why = "a timer period of " + num(a.periodNs) + " ns is not a whole number of microseconds";
        return "";
      }
      case ProbeKind::Profile: return "profile:hz:" + num(1000000000 / a.periodNs);
      case ProbeKind::Tracepoint: return "tracepoint:" + a.system + ":" + a.event;
      case ProbeKind::KernelFunction:
        if (kf.fentry) return (a.isReturn ? "kretfunc:" : "kfunc:") + a.symbol;
        if (kf.kprobes) return (a.isReturn ? "kretprobe:" : "kprobe:") + a.symbol;
        why = "this kernel has neither kprobes nor fentry (kfunc) support";
        return "";
      case ProbeKind::UserFunction: return (a.isReturn ? "uretprobe:" : "uprobe:") + a.path + ":" + a.symbol;
      case ProbeKind::Usdt: return "usdt:" + a.path + ":" + a.symbol;
      case ProbeKind::PerfSoftware: return "software:" + a.perfEvent + ":" + num(a.perfSample);
      case ProbeKind::Unsupported: why = a.unsupportedReason; return "";
      default: why = "this probe type has no bpftrace equivalent"; return "";
    }
  }

  void probe(DerivedProbe& p) {
    if (p.point.kind == ProbeKind::Never) {
      line("// " + locationComment(p.loc) + ": probe never: elaborated for its types, never run");
      out_ << '\n';
      return;
    }
    std::string why;
    std::string spec = probeSpec(p, why);
    if (spec.empty()) {
      if (p.point.kind == ProbeKind::KernelFunction) {
        // The rest of the script must still run (bpftrace 0.17 aborts on a failed attach).
        ctx_.diags.warning(p.point.loc, "probe " + p.point.text + " is left out of the bpftrace script: " + why);
        line("// " + locationComment(p.loc) + ": probe " + p.point.text + " left out: " + why + ".");
        line("// On a kernel with kprobes or fentry, translate again (see --kernel-features).");
        out_ << '\n';
        return;
      }
      ctx_.diags.error(p.point.loc, "probe point " + p.point.text + " cannot be expressed in bpftrace: " + why);
      return;
    }
    probe_ = &p;
    line("// " + locationComment(p.loc) + ": probe " + pointDescription(p));
    std::string head = spec;
    if (p.condition) head += " /" + expr(p.condition) + "/";
    open(head);
    line("// after exit() or an error, SystemTap starts no new probe handlers");
    line("if (@__exit) { return; }");
    declareLocals(p);
    body(p.body);
    if (survey_.exitCalled) line("if (@__exit) { exit(); }");
    close();
    out_ << '\n';
    probe_ = nullptr;
  }

  // The probe point as the script wrote it, with the aliases that led to it.
  static std::string pointDescription(const DerivedProbe& p) {
    std::string out;
    for (const std::string& a : p.aliasChain) out += a + " -> ";
    return out + p.point.text;
  }

  void beginBlock(const std::vector<DerivedProbe*>& begins) {
    // Always written: the tables found while translating the other probes are inserted at
    // the marker afterwards (finish()); an empty BEGIN is removed there.
    line("// SystemTap begin probes, in priority order, after the global initialisers");
    open("BEGIN");
    for (const Symbol* g : prog_.globals) {
      if (!g->init) continue;
      probe_ = nullptr;
      line(globalRef(g) + " = " + (strings_.isInterned(g) ? idOf(g->init) : valueOf(g->init)) + ";");
    }
    line("// @@TABLES@@");
    for (size_t i = 0; i < begins.size(); ++i) {
      // After exit(), SystemTap's later begin probes do not run: each handler first checks
      // that the session is still starting (stap -p3: `if (sess_state != stp->state)`).
      bool guard = i > 0 && survey_.exitCalled;
      if (guard) open("if (@__exit == 0)");
      part(*begins[i]);
      if (guard) close();
    }
    if (survey_.exitCalled && !begins.empty()) line("if (@__exit) { exit(); }");
    close();
    out_ << '\n';
  }

  // END: after an error SystemTap runs the error probes and skips the end probes (man
  // stapprobes); otherwise the end probes in priority order, with the display of unread
  // globals between those of priority 0 and the later ones (the display is a synthetic
  // `probe end` after the script's own).
  void endBlock(const std::vector<DerivedProbe*>& ends, const std::vector<DerivedProbe*>& errors) {
    line("// SystemTap error or end probes, and the globals SystemTap prints at exit; maps it");
    line("// would not print are cleared so that bpftrace does not dump them");
    open("END");
    bool normal = !ends.empty() || !prog_.autoPrint.empty();
    if (!errors.empty()) {
      open("if (@__error)");
      for (DerivedProbe* p : errors) part(*p);
      if (normal) orElse();
    } else if (normal) {
      open("if (@__error == 0)");
    }
    size_t i = 0;
    for (; i < ends.size() && ends[i]->point.priority <= 0; ++i) part(*ends[i]);
    if (!prog_.autoPrint.empty()) line("// globals written but never read");
    for (const Symbol* g : prog_.autoPrint) autoPrint(g);
    for (; i < ends.size(); ++i) part(*ends[i]);
    if (normal || !errors.empty()) close();
    clearMaps();
    if (opt_.endMarker) line("printf(\"" + std::string(runtimeEndMarker()) + "\\n\");  // for stp2bpf run");
    close();
  }

  static const char* runtimeEndMarker() { return "__stp2bpf_end_of_output__"; }

  // A begin/end/error probe merged into BEGIN or END.
  void part(DerivedProbe& p) {
    probe_ = &p;
    line("// " + locationComment(p.loc) + ": probe " + p.point.text);
    declareLocals(p);
    if (containsNext(p.body)) {
      // `next` leaves this probe only: run it in a one-pass loop that `next` breaks.
      std::string once = fresh("part");
      line(once + " = 0;");
      open("while (" + once + " < 1)");
      line(once + " = 1;");
      nextIsBreak_ = true;
      body(p.body);
      nextIsBreak_ = false;
      close();
    } else {
      body(p.body);
    }
    probe_ = nullptr;
  }

  // ================================================================ names

  std::string globalRef(const Symbol* s) { return "@" + mangle(s->name); }

  std::string localRef(const Symbol* s) {
    auto it = localNames_.find(s);
    if (it != localNames_.end()) return it->second;
    std::string base = "$" + mangle(s->name);
    std::string name = base;
    for (int n = 2; usedLocalNames_.count(name) && usedLocalNames_[name] != localKind(s); ++n)
      name = base + "_" + num(n);
    usedLocalNames_[name] = localKind(s);
    localNames_[s] = name;
    return name;
  }

  // Locals of different types cannot share a bpftrace scratch variable.
  int localKind(const Symbol* s) {
    if (s->type == Type::String && !strings_.isInterned(s)) return 1;
    return 0;
  }

  std::string fresh(const std::string& what) { return "$__" + what + num(++counter_); }

  // A map for state carried from one pass of a generated loop to the next, one entry per
  // cpu (BEGIN and END run once: one entry).  Kept out of the BPF stack so that the
  // verifier, which tracks stack values precisely, sees every pass alike and does not
  // multiply paths; values read back from a map are unknown to it.
  std::string stateMap(const std::string& what) {
    std::string name = "@__" + what + num(++counter_);
    stateMaps_.push_back(name);
    bool once = !probe_ || probe_->point.kind == ProbeKind::Begin || probe_->point.kind == ProbeKind::End ||
                probe_->point.kind == ProbeKind::Error;
    return name + (once ? "[0]" : "[cpu]");
  }

  bool isRead(const Symbol* s) const { return survey_.readLocals.count(s) > 0; }

  void declareLocals(DerivedProbe& p) {
    // SystemTap locals start at 0 or "" on every probe hit; bpftrace needs a first
    // assignment.  Locals never read need none (their stores are dropped too).
    for (const Symbol* s : p.locals) {
      if (!isRead(s)) continue;
      if (s->type == Type::String && !strings_.isInterned(s)) line(localRef(s) + " = \"\";");
      else if (s->type == Type::Long || s->type == Type::String) line(localRef(s) + " = 0;");
    }
  }

  std::string ref(const Symbol* s) {
    return s->kind == sema::SymbolKind::Global ? globalRef(s) : localRef(s);
  }

  // ================================================================ statements

  void body(Stmt* s) {
    if (auto* b = as<Block>(s)) {
      for (Stmt* c : b->statements) {
        statement(c);
        if (endsFlow(c)) break;  // what follows is unreachable (bpftrace warns about it)
      }
    } else if (s) {
      statement(s);
    }
  }

  // An assignment to a local that is never read: SystemTap elides it ("Eliding assignment"),
  // and so does this translation (tapset aliases set many such locals).
  bool deadStore(Stmt* s) {
    auto* es = as<ExprStmt>(s);
    auto* a = es ? as<Assignment>(es->expr) : nullptr;
    if (!a || a->op == AssignOp::Aggregate) return false;
    auto* v = as<Variable>(a->target);
    const Symbol* sym = v ? prog_.symbolOf(v) : nullptr;
    return sym && sym->kind != sema::SymbolKind::Global && !isRead(sym);
  }

  void statement(Stmt* s) {
    if (deadStore(s)) return;
    // Run-time errors of the statement's own expressions first: SystemTap checks each
    // divisor and each statistic as it evaluates it, and lowering left no conditional
    // evaluation inside a statement's expressions.
    runtimeChecks(s);
    switch (s->kind) {
      case Kind::Block: body(s); break;
      case Kind::ExprStmt: exprStatement(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        open("if (" + cond(i->cond) + ")");
        body(i->thenStmt);
        if (i->elseStmt) {
          orElse();
          body(i->elseStmt);
        }
        close();
        break;
      }
      case Kind::LoopStmt: loop(static_cast<LoopStmt*>(s)); break;
      case Kind::ForeachStmt: foreach(static_cast<ForeachStmt*>(s)); break;
      case Kind::DeleteStmt: deleteStatement(static_cast<DeleteStmt*>(s)); break;
      case Kind::BreakStmt: line("break;"); break;
      case Kind::ContinueStmt:
        if (!continueSteps_.empty() && continueSteps_.back()) {
          std::function<void()> step = continueSteps_.back();
          step();
        }
        line("continue;");
        break;
      case Kind::NextStmt:
        if (nextIsBreak_) {
          if (loopDepth_ > 0) {
            ctx_.diags.error(s->loc, "'next' inside a loop of a begin/end probe cannot be translated for "
                                     "bpftrace (its begin/end probes are merged into one block); use --target=c");
          }
          line("break;");
        } else {
          if (survey_.exitCalled) line("if (@__exit) { exit(); }");
          line("return;");
        }
        break;
      case Kind::TryStmt: {
        auto* t = static_cast<TryStmt*>(s);
        ctx_.diags.warning(t->loc, "try/catch under bpftrace: the body runs, but run-time errors inside it "
                                   "end the script instead of reaching 'catch' (the C target catches them)");
        body(t->body);
        break;
      }
      case Kind::NullStmt: break;
      default:
        ctx_.diags.error(s->loc, std::string("internal: unexpected statement ") + kindName(s->kind));
    }
  }

  void runtimeError(const std::string& message) {
    // SystemTap prints run-time errors on stderr and ends with status 1; `stp2bpf run`
    // moves lines starting with "ERROR: " to stderr.
    std::vector<std::string> args;
    std::string format = literalFormat("ERROR: " + message + "\n", args);
    std::string call = "printf(\"" + format + "\"";
    for (const std::string& a : args) call += ", " + a;
    line(call + ");");
    line("@__error = 1;");
    line("@__exit = 1;");
    line("exit();");
  }

  // Divisions by zero ("division by 0 near operator '/' at ...", runtime/linux/arith.c)
  // and @min/@max/@avg of an empty statistic ("empty aggregate"), as SystemTap's
  // generated code reports them.
  void runtimeChecks(Stmt* s) {
    struct F : Visitor {
      using Visitor::visit;
      std::vector<Binary*> divs;
      std::vector<Assignment*> divAssigns;
      std::vector<StatOp*> stats;
      void visit(Binary& b) override {
        if (b.op == BinaryOp::Div || b.op == BinaryOp::Mod) divs.push_back(&b);
        Visitor::visit(b);
      }
      void visit(Assignment& a) override {
        if (a.op == AssignOp::Div || a.op == AssignOp::Mod) divAssigns.push_back(&a);
        Visitor::visit(a);
      }
      void visit(StatOp& n) override {
        if (n.stat == StatKind::Min || n.stat == StatKind::Max || n.stat == StatKind::Avg) stats.push_back(&n);
        Visitor::visit(n);
      }
      // Only what the statement evaluates unconditionally.
      void visit(Ternary& t) override { visit(t.cond); }
    } f;
    switch (s->kind) {
      case Kind::ExprStmt: f.visit(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: f.visit(static_cast<IfStmt*>(s)->cond); break;
      case Kind::ForeachStmt: f.visit(static_cast<ForeachStmt*>(s)->limit); break;
      case Kind::DeleteStmt: f.visit(static_cast<DeleteStmt*>(s)->target); break;
      default: return;
    }
    std::set<std::string> checked;
    for (Binary* d : f.divs) {
      if (as<NumberLiteral>(d->right)) continue;
      if (!checked.insert(expr(d->right)).second) continue;  // one check per divisor
      open("if (" + expr(d->right) + " == 0)");
      runtimeError(std::string("division by 0 near operator '") + binaryOpSpelling(d->op) + "' at " + d->loc.str());
      close();
    }
    for (Assignment* a : f.divAssigns) {
      if (as<NumberLiteral>(a->value)) continue;
      open("if (" + expr(a->value) + " == 0)");
      runtimeError(std::string("division by 0 near operator '") + assignOpSpelling(a->op) + "' at " + a->loc.str());
      close();
    }
    for (StatOp* st : f.stats) {
      if (!checked.insert(statistic(st, StatKind::Count)).second) continue;  // one check per statistic
      open("if (" + statistic(st, StatKind::Count) + " == 0)");
      std::string op = st->stat == StatKind::Min ? "@min" : st->stat == StatKind::Max ? "@max" : "@avg";
      runtimeError("empty aggregate near operator '" + op + "' at " + st->loc.str());
      close();
    }
  }

  void exprStatement(Expr* e) {
    switch (e->kind) {
      case Kind::Assignment: assignment(static_cast<Assignment*>(e)); break;
      case Kind::IncDec: {
        auto* i = static_cast<IncDec*>(e);
        touchKey(i->operand);
        line(lvalueRef(i->operand) + (i->increment ? "++;" : "--;"));
        break;
      }
      case Kind::PrintCall: print(static_cast<PrintCall*>(e)); break;
      case Kind::FunctionCall: callStatement(static_cast<FunctionCall*>(e)); break;
      default:
        break;  // a pure expression: nothing to do
    }
  }

  void callStatement(FunctionCall* c) {
    if (c->name == "exit") {
      line("@__exit = 1;  // SystemTap's exit(): the probe still runs to its end");
      return;
    }
    if (c->name == "error") {
      line("printf(\"ERROR: %s\\n\", " + stringOf(c->args[0]) + ");");
      line("@__error = 1;");
      line("@__exit = 1;");
      line("exit();");
      return;
    }
    if (c->name == "warn") {
      line("printf(\"WARNING: %s\\n\", " + stringOf(c->args[0]) + ");");
      return;
    }
    if (c->name == "log") {
      line("printf(\"%s\\n\", " + stringOf(c->args[0]) + ");");
      return;
    }
    line(expr(c) + ";");
  }

  // ---------------------------------------------------------------- assignment

  std::string lvalueRef(Expr* target) {
    if (auto* v = as<Variable>(target)) return ref(prog_.symbolOf(v));
    if (auto* a = as<ArrayIndex>(target)) return arrayRef(a);
    unsupported(target, "assigning to this expression");
    return "$__invalid";
  }

  std::string keysOf(const std::vector<Expr*>& keys) {
    std::string out;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i) out += ", ";
      if (!keys[i]) {
        unsupported(nullptr, "a '*' wildcard here");
        out += "0";
        continue;
      }
      out += keys[i]->type == Type::String ? stringOf(keys[i]) : expr(keys[i]);
    }
    return out;
  }

  std::string arrayRef(ArrayIndex* a, const std::string& suffix = "") {
    const Symbol* s = prog_.symbolOf(a->base);
    if (!s) return "0";
    return "@" + mangle(s->name) + suffix + "[" + keysOf(a->indices) + "]";
  }

  // The key of a key-log entry (a tuple for several keys) as the array's key list.
  static std::string keyList(const Symbol* arr, const std::string& k) {
    if (arr->keyTypes.size() <= 1) return k;
    std::string out;
    for (size_t i = 0; i < arr->keyTypes.size(); ++i) out += (i ? ", " : "") + k + "." + num(static_cast<int64_t>(i));
    return out;
  }

  // Key logs: an array that is iterated, tested with `in` or deleted whole keeps its keys
  // densely in @a__key[1..@a__n], with @a__slot[key] the position of each key (0: absent).
  // Before writing an element: record a new key.
  void touchKey(Expr* target) {
    auto* a = as<ArrayIndex>(target);
    if (!a) return;
    const Symbol* s = prog_.symbolOf(a->base);
    if (!s || !survey_.keyLogged.count(s)) return;
    std::string keys = keysOf(a->indices);
    std::string name = "@" + mangle(s->name);
    line("// a new key of " + s->name + " goes into its key log");
    open("if (" + name + "__slot[" + keys + "] == 0)");
    open("if (" + name + "__n >= " + num(opt_.foreachMax) + ")");
    runtimeError("array " + s->name + " has more than " + num(opt_.foreachMax) +
                 " entries, the bpftrace translation's limit for arrays it iterates "
                 "(-D BPFTRACE_FOREACH_MAX=N raises it; --target=c has no such limit)");
    close();
    line(name + "__n = " + name + "__n + 1;");
    line(name + "__slot[" + keys + "] = " + name + "__n;");
    line(name + "__key[" + name + "__n] = " + (a->indices.size() > 1 ? "(" + keys + ")" : keys) + ";");
    close();
  }

  void assignment(Assignment* a) {
    if (a->op == AssignOp::Aggregate) {
      aggregate(a);
      return;
    }
    touchKey(a->target);
    std::string target = lvalueRef(a->target);
    bool interned = a->target->type == Type::String && internedTarget(a->target);
    switch (a->op) {
      case AssignOp::Assign:
        if (a->target->type == Type::String)
          line(target + " = " + (interned ? idOf(a->value) : stringOf(a->value)) + ";");
        else
          line(target + " = " + expr(a->value) + ";");
        return;
      case AssignOp::Concat: {
        if (!interned) {
          unsupported(a, "'.=' on a string whose values are not known at translation time "
                         "(bpftrace 0.17 cannot concatenate strings)");
          return;
        }
        // target = target . value: look the pair up in a concatenation table.
        line(target + " = " + concatTable(a->target, a->value, a) + ";");
        return;
      }
      case AssignOp::Div:
      case AssignOp::Mod:
        line(target + " = " + signedDivision(a->op == AssignOp::Div, target, expr(a->value)) + ";");
        return;
      case AssignOp::Shr:
        line(target + " = " + signedShiftRight(target, expr(a->value)) + ";");
        return;
      default:
        line(target + " " + assignOpSpelling(a->op) + " " + expr(a->value) + ";");
        return;
    }
  }

  bool internedTarget(Expr* target) {
    const Node* base = target;
    if (auto* a = as<ArrayIndex>(target)) base = a->base;
    const Symbol* s = prog_.symbolOf(base);
    return s && strings_.isInterned(s);
  }

  // The statistic of a `<<<` target or an extractor's operand: its maps and keys.
  struct StatRef {
    const Symbol* sym = nullptr;
    std::string name;  // @x
    std::string keys;  // "k1, k2" or ""
    std::string at(const std::string& suffix) const { return name + suffix + (keys.empty() ? "" : "[" + keys + "]"); }
    std::string bucket(const std::string& b) const { return name + "__hist[" + (keys.empty() ? "" : keys + ", ") + b + "]"; }
  };
  StatRef statRef(Expr* o) {
    StatRef r;
    if (auto* a = as<ArrayIndex>(o)) {
      r.sym = prog_.symbolOf(a->base);
      r.keys = keysOf(a->indices);
    } else {
      r.sym = prog_.symbolOf(o);
    }
    r.name = r.sym ? "@" + mangle(r.sym->name) : "@__invalid";
    return r;
  }

  // `x <<< v`: count, sum, min, max and the histogram buckets, kept in plain maps.
  void aggregate(Assignment* a) {
    StatRef st = statRef(a->target);
    touchKey(a->target);
    std::string v = fresh("v");
    line(v + " = " + expr(a->value) + ";");
    line(st.at("__count") + " = " + st.at("__count") + " + 1;");
    line(st.at("__sum") + " = " + st.at("__sum") + " + " + v + ";");
    open("if (" + st.at("__count") + " == 1 || " + v + " < " + st.at("__min") + ")");
    line(st.at("__min") + " = " + v + ";");
    close();
    open("if (" + st.at("__count") + " == 1 || " + v + " > " + st.at("__max") + ")");
    line(st.at("__max") + " = " + v + ";");
    close();
    auto h = survey_.histograms.find(st.sym);
    if (h == survey_.histograms.end()) return;
    std::string b = fresh("bucket");
    if (h->second.kind == HistogramKind::Log) {
      // _stp_val_to_bucket: 64 for 0, 65 + floor(log2 v) above, 63 - floor(log2 -v) below.
      // floor(log2 m) without branches (one verifier path): at each step, s is `half` if
      // m >> half is not 0, found as ((m >> half) + 2^half - 1) >> half, a 0 or 1.
      std::string m = fresh("m"), l = fresh("log2"), sh = fresh("s");
      line("// @hist_log bucket of " + v + " (runtime/stat-common.c _stp_val_to_bucket)");
      line(b + " = 64;");
      open("if (" + v + " != 0)");
      line(m + " = " + v + " < 0 ? -" + v + " : " + v + ";");
      open("if (" + m + " < 0)");
      line(l + " = 63;  // the magnitude of INT64_MIN");
      orElse();
      line(l + " = 0;");
      for (int half : {32, 16, 8, 4, 2, 1}) {
        int log = half == 32 ? 5 : half == 16 ? 4 : half == 8 ? 3 : half == 4 ? 2 : half == 2 ? 1 : 0;
        std::string ones = num((int64_t(1) << half) - 1);
        line(sh + " = ((" + m + " >> " + num(half) + ") + " + ones + ") >> " + num(half) +
             (log ? " << " + num(log) : std::string()) + ";");
        line(m + " = " + m + " >> " + sh + ";");
        line(l + " = " + l + " + " + sh + ";");
      }
      close();
      line(b + " = " + v + " > 0 ? 65 + " + l + " : 63 - " + l + ";");
      close();
    } else {
      const HistogramShape& hs = h->second;
      line("// @hist_linear bucket of " + v + ": 0 below " + num(hs.start) + ", " + num(hs.buckets() - 1) +
           " above the last interval (runtime/stat-common.c __stp_stat_add)");
      line(b + " = " + v + " - " + (hs.start < 0 ? "(" + num(hs.start) + ")" : num(hs.start)) + ";");
      open("if (" + b + " < 0)");
      line(b + " = 0;");
      orElse();
      line(b + " = (int64)((uint64)" + b + " / " + num(hs.interval) + ") + 1;");
      close();
      open("if (" + b + " >= " + num(hs.buckets() - 1) + ")");
      line(b + " = " + num(hs.buckets() - 1) + ";");
      close();
    }
    line(st.bucket(b) + " = " + st.bucket(b) + " + 1;");
  }

  // The entries of a statistic's histogram, for delete.
  void deleteBuckets(const StatRef& st) {
    auto h = survey_.histograms.find(st.sym);
    if (h == survey_.histograms.end()) return;
    std::string i = fresh("b");
    line(i + " = 0;");
    open("while (" + i + " < " + num(h->second.buckets()) + ")");
    line("delete(" + st.bucket(i) + ");");
    line(i + "++;");
    close();
  }

  void deleteStatement(DeleteStmt* d) {
    if (auto* a = as<ArrayIndex>(d->target)) {
      for (Expr* k : a->indices)
        if (!k) {
          unsupported(d, "'delete' with a '*' wildcard key");
          return;
        }
      const Symbol* s = prog_.symbolOf(a->base);
      if (!s) return;
      std::string name = "@" + mangle(s->name);
      std::string keys = keysOf(a->indices);
      if (s->type == Type::Stats) {
        StatRef st = statRef(a);
        for (const char* suffix : {"__count", "__sum", "__min", "__max"}) line("delete(" + st.at(suffix) + ");");
        deleteBuckets(st);
      } else {
        line("delete(" + name + "[" + keys + "]);");
      }
      if (survey_.keyLogged.count(s)) {
        // Keep the key log dense: the last key moves into the freed slot.
        std::string slot = fresh("slot"), last = fresh("last");
        line(slot + " = " + name + "__slot[" + keys + "];");
        open("if (" + slot + " != 0)");
        line(last + " = " + name + "__key[" + name + "__n];");
        line(name + "__key[" + slot + "] = " + last + ";");
        line(name + "__slot[" + keyList(s, last) + "] = " + slot + ";");
        line("delete(" + name + "__key[" + name + "__n]);");
        line("delete(" + name + "__slot[" + keys + "]);");
        line(name + "__n = " + name + "__n - 1;");
        close();
      }
      return;
    }
    const Symbol* s = prog_.symbolOf(d->target);
    if (!s) return;
    if (s->kind != sema::SymbolKind::Global) {
      line(localRef(s) + " = " + (s->type == Type::String && !strings_.isInterned(s) ? "\"\"" : "0") + ";");
      return;
    }
    std::string name = "@" + mangle(s->name);
    if (s->keyTypes.empty()) {
      if (s->type == Type::Stats) {
        StatRef st = statRef(d->target);
        for (const char* suffix : {"__count", "__sum", "__min", "__max"}) line(st.at(suffix) + " = 0;");
        deleteBuckets(st);
      } else {
        line(name + " = " + (s->type == Type::String && !strings_.isInterned(s) ? "\"\"" : "0") + ";");
      }
      return;
    }
    // A whole array: every entry through the key log.  (bpftrace's clear() would run later,
    // in user space, while the probe goes on.)
    std::string i = fresh("slot"), k = fresh("key");
    line("// delete " + s->name + ": every entry, through its key log");
    line(i + " = 0;");
    open("while (" + i + " < " + num(opt_.foreachMax) + ")");
    line(i + "++;");
    open("if (" + i + " > " + name + "__n)");
    line("break;");
    close();
    line(k + " = " + name + "__key[" + i + "];");
    std::string kl = keyList(s, k);
    if (s->type == Type::Stats) {
      StatRef st{s, name, kl};
      for (const char* suffix : {"__count", "__sum", "__min", "__max"}) line("delete(" + st.at(suffix) + ");");
      deleteBuckets(st);
    } else {
      line("delete(" + name + "[" + kl + "]);");
    }
    line("delete(" + name + "__slot[" + kl + "]);");
    close();
    line(name + "__n = 0;");
  }

  // ---------------------------------------------------------------- loops

  // A loop whose every pass the verifier walks: the counter bounds it.  For a bound from
  // MAXACTION the loop wanting a pass beyond it is SystemTap's MAXACTION error, checked
  // after the loop's own exit test.
  void loop(LoopStmt* l) {
    line("// " + locationComment(l->loc) + ": " + l->origin + " loop, at most " + num(l->bound) +
         (l->boundIsExact ? " passes (proved)" : " passes (MAXACTION, checked at run time)"));
    std::string n = fresh("iter");
    line(n + " = 0;");
    std::vector<Stmt*> stmts;
    if (auto* b = as<Block>(l->body)) stmts = b->statements;
    else if (l->body) stmts.push_back(l->body);
    ++loopDepth_;
    continueSteps_.push_back(l->step ? std::function<void()>([this, l] { body(l->step); }) : nullptr);
    size_t first = 0;
    if (l->boundIsExact) {
      open("while (" + n + " < " + num(l->bound) + ")");
      line(n + "++;");
    } else {
      open("while (" + n + " <= " + num(l->bound) + ")");
      // The loop's exit test comes first (lowering puts it there, after the statements that
      // evaluate a condition with side effects, as in `for (i = 19; i--;)`): the pass
      // beyond the bound is an error only if the loop wanted it.
      auto isExitTest = [](Stmt* st) {
        auto* test = as<IfStmt>(st);
        if (!test || test->elseStmt) return false;
        if (test->thenStmt && test->thenStmt->kind == Kind::BreakStmt) return true;
        auto* b = as<Block>(test->thenStmt);
        return b && b->statements.size() == 1 && b->statements[0]->kind == Kind::BreakStmt;
      };
      for (size_t i = 0; i < stmts.size() && i < 4; ++i) {
        if (isExitTest(stmts[i])) {
          for (size_t j = 0; j <= i; ++j) statement(stmts[j]);
          first = i + 1;
          break;
        }
        if (stmts[i]->kind != Kind::ExprStmt) break;  // only the condition's own statements
      }
      open("if (" + n + " == " + num(l->bound) + ")");
      runtimeError("MAXACTION exceeded near keyword at " + l->loc.str() + " (the bpftrace translation allows " +
                   num(l->bound) + " passes of this loop; -D MAXACTION=N raises it)");
      close();
      line(n + "++;");
    }
    bool ended = false;
    for (size_t i = first; i < stmts.size() && !ended; ++i) {
      statement(stmts[i]);
      ended = endsFlow(stmts[i]);
    }
    if (l->step && !ended) body(l->step);
    continueSteps_.pop_back();
    --loopDepth_;
    close();
  }

  void foreach(ForeachStmt* f) {
    const Symbol* arr = prog_.symbolOf(f->array);
    if (!arr) {
      unsupported(f, "foreach over a histogram's buckets");
      return;
    }
    if (!f->slice.empty()) {
      unsupported(f, "foreach over an array slice");
      return;
    }
    std::string name = "@" + mangle(arr->name);
    const int64_t max = opt_.foreachMax;
    bool sorted = f->sortDirection != 0;
    std::string order;
    if (sorted) {
      order = std::string(", sorted by ") + (f->sortColumn == 0 ? "value" : "key " + num(f->sortColumn)) +
              (f->sortDirection > 0 ? " ascending" : " descending") + " (selection)";
    }
    line("// " + locationComment(f->loc) + ": foreach over " + arr->name + order + ", at most " + num(max) +
         " entries (BPFTRACE_FOREACH_MAX)");
    std::string limit;
    if (f->limit) {
      limit = fresh("limit");
      line(limit + " = " + expr(f->limit) + ";");
    }
    std::string visited = fresh("visited"), pass = fresh("pass"), key = fresh("key");
    if (f->limit) line(visited + " = 0;");
    line(pass + " = 0;");
    std::string prevSlot, prevValue;
    if (sorted) {
      prevSlot = stateMap("prev");
      prevValue = stateMap("prevval");
      line(prevSlot + " = 0;  // the slot visited last, and its sort value");
      line(prevValue + " = 0;");
    }
    open("while (" + pass + " < " + num(max) + ")");
    line(pass + "++;");
    if (f->limit) {
      open("if (" + visited + " >= " + limit + ")");
      line("break;");
      close();
    }
    if (!sorted) {
      open("if (" + pass + " > " + name + "__n)");
      line("break;");
      close();
      line(key + " = " + name + "__key[" + pass + "];");
    } else {
      // Selection: the entry that comes next after the one visited last, in the order of
      // (sort value, slot); equal values go in slot order.
      std::string best = stateMap("best"), bestValue = stateMap("bestval");
      // (Loop-invariant values are read from their maps where they are compared, never kept
      // in variables: compared with the precise loop counter, a variable's range would be
      // narrowed differently in every pass and the verifier's paths would multiply.)
      std::string s = fresh("s"), k = fresh("k"), v = fresh("v"), b = fresh("b");
      const std::string& n = name + "__n";
      const std::string& ps = prevSlot;
      const std::string& pv = prevValue;
      bool asc = f->sortDirection > 0;
      line(best + " = 0;");
      line(bestValue + " = 0;");
      line(s + " = 0;");
      open("while (" + s + " < " + num(max) + ")");
      line(s + "++;");
      open("if (" + s + " > " + n + ")");
      line("break;");
      close();
      line(k + " = " + name + "__key[" + s + "];");
      line(v + " = " + sortValue(f, arr, name, k) + ";");
      std::string after = "(" + ps + " == 0 || " + v + (asc ? " > " : " < ") + pv + " || (" + v + " == " + pv +
                          " && " + s + " > " + ps + "))";
      std::string before = "(" + best + " == 0 || " + v + (asc ? " < " : " > ") + bestValue + ")";
      open("if (" + after + " && " + before + ")");
      line(best + " = " + s + ";");
      line(bestValue + " = " + v + ";");
      close();
      close();
      line(b + " = " + best + ";");
      open("if (" + b + " == 0)");
      line("break;");
      close();
      line(prevSlot + " = " + b + ";");
      line(prevValue + " = " + bestValue + ";");
      line(key + " = " + name + "__key[" + b + "];");
    }
    if (f->limit) line(visited + "++;");
    for (size_t i = 0; i < f->keys.size(); ++i) {
      const Symbol* ks = prog_.symbolOf(f->keys[i]);
      if (ks && isRead(ks)) line(localRef(ks) + " = " + (arr->keyTypes.size() > 1 ? key + "." + num(static_cast<int64_t>(i)) : key) + ";");
    }
    if (f->value)
      if (const Symbol* vs = prog_.symbolOf(f->value); vs && isRead(vs))
        line(localRef(vs) + " = " + name + "[" + keyList(arr, key) + "];");
    ++loopDepth_;
    continueSteps_.push_back(nullptr);
    if (!rawBody_.empty()) {
      for (const std::string& l : rawBody_) line(l);
    } else {
      body(f->body);
    }
    continueSteps_.pop_back();
    --loopDepth_;
    close();
  }

  // The value entry `k` (a key-log entry) sorts by.
  std::string sortValue(ForeachStmt* f, const Symbol* arr, const std::string& name, const std::string& k) {
    std::string kl = keyList(arr, k);
    if (f->sortColumn == 0) {
      if (arr->type == Type::Stats) {
        StatRef st{arr, name, kl};
        switch (f->sortAggregate) {
          case StatKind::Sum: return st.at("__sum");
          case StatKind::Min: return st.at("__min");
          case StatKind::Max: return st.at("__max");
          case StatKind::Avg: return signedDivision(true, st.at("__sum"), st.at("__count"));
          default: return st.at("__count");
        }
      }
      if (arr->type == Type::String) {
        if (!strings_.isInterned(arr)) {
          unsupported(f, "sorting by a string value under bpftrace 0.17 (it cannot compare strings by order)");
          return "0";
        }
        return "@__rank[" + name + "[" + kl + "]]";
      }
      return name + "[" + kl + "]";
    }
    size_t col = static_cast<size_t>(f->sortColumn - 1);
    if (col >= arr->keyTypes.size()) return "0";
    if (arr->keyTypes[col] == Type::String) {
      unsupported(f, "sorting by a string key under bpftrace 0.17 (it cannot compare strings by order)");
      return "0";
    }
    return arr->keyTypes.size() > 1 ? k + "." + num(static_cast<int64_t>(col)) : k;
  }

  // ---------------------------------------------------------------- printing

  void print(PrintCall* p) {
    if (p->histogram) {
      printHistogram(p);
      return;
    }
    if (printKindReturnsString(p->printKind)) {
      unsupported(p, std::string("'") + printKindName(p->printKind) + "' builds a string at run time, which "
                                                                       "bpftrace 0.17 cannot do");
      return;
    }
    std::vector<std::string> args;
    std::string format;
    if (printKindHasFormat(p->printKind)) {
      std::vector<FormatSpec> specs;
      FormatParseError error;
      parsePrintFormat(p->formatOrDelimiter, specs, error);
      std::string why;
      if (!convertFormat(specs, p->args, format, args, why)) {
        unsupported(p, why);
        return;
      }
    } else {
      for (size_t i = 0; i < p->args.size(); ++i) {
        if (i && printKindHasDelimiter(p->printKind)) format += literalFormat(p->formatOrDelimiter, args);
        appendValue(p->args[i], format, args);
      }
      if (printKindAddsNewline(p->printKind)) format += "\\n";
    }
    std::string call = "printf(\"" + format + "\"";
    for (const std::string& a : args) call += ", " + a;
    line(call + ");");
  }

  void appendValue(Expr* e, std::string& format, std::vector<std::string>& args) {
    if (e->type == Type::String) {
      format += "%s";
      args.push_back(stringOf(e));
    } else {
      format += "%ld";
      args.push_back(expr(e));
    }
  }

  static bool simpleOperand(const std::string& e) {
    if (e.empty()) return false;
    size_t i = (e[0] == '$' || e[0] == '@') ? 1 : 0;
    for (; i < e.size(); ++i)
      if (!std::isalnum(static_cast<unsigned char>(e[i])) && e[i] != '_') return false;
    return true;
  }

  bool convertFormat(const std::vector<FormatSpec>& specs, const std::vector<Expr*>& values,
                     std::string& format, std::vector<std::string>& args, std::string& why) {
    size_t next = 0;
    for (const FormatSpec& s : specs) {
      if (s.conv == FormatSpec::Conv::Literal) {
        format += literalFormat(s.literal, args);
        continue;
      }
      if (next >= values.size()) {
        why = "printf has fewer values than its format needs";
        return false;
      }
      ConversionText ct;
      if (!translateConversion(s, ct, why)) return false;
      Expr* v = values[next++];
      std::string value = s.conv == FormatSpec::Conv::String ? stringOf(v) : expr(v);
      if (ct.valueReused && !simpleOperand(value)) {
        std::string t = fresh("pf");
        line(t + " = " + value + ";");
        value = t;
      }
      std::string magnitude;
      for (const std::string& a : ct.args)
        if (a.find("$M") != std::string::npos && magnitude.empty()) {
          magnitude = fresh("pfm");
          line(magnitude + " = " + replaceAll(ct.magnitude, "$V", value) + ";");
        }
      auto bind = [&](std::string text) {
        if (!magnitude.empty()) text = replaceAll(text, "$M", magnitude);
        return replaceAll(text, "$V", value);
      };
      std::string pad;
      if (!ct.pad.empty()) {
        pad = fresh("pad");
        line("// " + formatToString({s}) + ": the blanks before the number, width minus digits");
        line(pad + " = " + bind(ct.pad) + ";");
        line("if (" + pad + " < 0) { " + pad + " = 0; }");
      }
      if (ct.needsSpaces) needSpaces_ = true;
      format += ct.format;
      for (const std::string& a : ct.args)
        args.push_back(bind(replaceAll(replaceAll(a, "$SPACES", "@__spaces"), "$PAD", pad)));
    }
    return true;
  }

  // needed_space(v) of runtime/stat-common.c: the characters of v in decimal.
  std::string neededSpace(const std::string& v) {
    return "(" + v + " < 0 ? 1 + " + digitCount("-" + v, 10) + " : " + digitCount(v, 10) + ")";
  }

  // print(@hist_log(x)) / print(@hist_linear(x, ...)): the text of runtime/stat-common.c
  // _stp_stat_print_histogram_buf, step by step.  Every value computed before or across the
  // row loop lives in a state map and is read back where it is used, so the verifier sees
  // unknown values there instead of one precise value per path (digit counts, margins).
  void printHistogram(PrintCall* p) {
    Histogram* h = p->histogram;
    StatRef st = statRef(h->operand);
    auto shapeIt = survey_.histograms.find(st.sym);
    if (!st.sym || shapeIt == survey_.histograms.end()) {
      unsupported(p, "this histogram");
      return;
    }
    HistogramShape shape = shapeIt->second;
    if (shape.kind != h->histKind || shape.start != h->start || shape.stop != h->stop ||
        shape.interval != (h->interval > 0 ? h->interval : 1)) {
      unsupported(p, "two different histograms of one statistic (SystemTap allows one)");
      return;
    }
    const bool isLog = shape.kind == HistogramKind::Log;
    const int64_t nb = shape.buckets();
    const std::string last = num(nb - 1);
    needSpaces_ = needBars_ = true;
    line("// " + locationComment(p->loc) + ": " + printKindName(p->printKind) + "(@hist_" +
         (isLog ? "log" : "linear") + "(...)): the text of runtime/stat-common.c _stp_stat_print_histogram_buf");
    open("if (" + st.at("__count") + " == 0)");
    runtimeError(std::string("empty aggregate near identifier '") + printKindName(p->printKind) + "' at " +
                 p->loc.str());
    close();

    std::string lo = stateMap("low"), hi = stateMap("high"), top = stateMap("valmax"), under = stateMap("under"),
                over = stateMap("over"), scale = stateMap("scale"), cnt = stateMap("cntspace"),
                vs = stateMap("valspace"), eliding = stateMap("eliding");
    std::string i = fresh("b"), c = fresh("c");
    line("// the first and last used buckets, and the largest count");
    line(lo + " = -1;");
    line(hi + " = 0;");
    line(top + " = 0;");
    line(i + " = 0;");
    open("while (" + i + " < " + num(nb) + ")");
    line(c + " = " + st.bucket(i) + ";");
    open("if (" + c + " > 0)");
    line("if (" + lo + " < 0) { " + lo + " = " + i + "; }");
    line(hi + " = " + i + ";");
    line("if (" + c + " > " + top + ") { " + top + " = " + c + "; }");
    close();
    line(i + "++;");
    close();
    line("// two zero rows of margin on each side" + std::string(isLog ? " (none below 0 for positive data)" : ""));
    for (int round = 0; round < 2; ++round) {
      if (isLog) line("if (" + lo + " != 64 && " + lo + " > 0) { " + lo + " = " + lo + " - 1; }");
      else line("if (" + lo + " > 0) { " + lo + " = " + lo + " - 1; }");
      line("if (" + hi + " < " + last + ") { " + hi + " = " + hi + " + 1; }");
    }
    line(under + " = 0;");
    line(over + " = 0;");
    if (!isLog) {
      line("// the underflow and overflow rows only when they count something");
      line("if (" + lo + " == 0 && " + st.bucket("0") + " == 0) { " + lo + " = 1; }");
      line("if (" + hi + " == " + last + " && " + st.bucket(last) + " == 0) { " + hi + " = " + num(nb - 2) + "; }");
      line("if (" + lo + " == 0) { " + under + " = 1; }");
      line("if (" + hi + " == " + last + ") { " + over + " = 1; }");
    }
    line("// bars scaled to at most " + num(kHistWidth) + " '@'; the widths of the count and value columns");
    line(scale + " = 1;");
    line("if (" + top + " > " + num(kHistWidth) + ") { " + scale + " = (int64)(((uint64)" + top + " + " +
         num(kHistWidth - 1) + ") / " + num(kHistWidth) + "); }");
    std::string t = fresh("valmax");
    line(t + " = " + top + ";");
    line("// (digit counts without branches: (v - 10^k) >> 63 is 1 exactly when v < 10^k)");
    line(cnt + " = " + digitCount(t, 10) + ";");
    std::string a = fresh("edge"), b = fresh("edge"), w = fresh("width");
    if (isLog) {
      line(a + " = " + bucketValue(hi) + ";");
      line(vs + " = " + neededSpace(a) + ";");
      line(b + " = " + bucketValue(lo) + ";");
      line(w + " = " + neededSpace(b) + ";");
    } else {
      line(a + " = " + num(shape.start) + ";");
      line(vs + " = " + neededSpace(a) + " + " + under + ";");
      line(b + " = " + num(shape.start) + " + " + num(shape.interval) + " * " + hi + ";");
      line(w + " = " + neededSpace(b) + " + " + over + ";");
    }
    line("if (" + w + " > " + vs + ") { " + vs + " = " + w + "; }");
    line("if (" + vs + " < 5) { " + vs + " = 5; }");
    line("printf(\"%svalue |" + std::string(kHistWidth, '-') + " count\\n\", @__spaces[" + vs + " - 5]);");

    std::string n = fresh("row"), r = fresh("b"), keep = fresh("keep"), val = fresh("val"), count = fresh("count");
    line("// the rows from the first to the last bucket shown");
    line(eliding + " = 0;");
    line(n + " = 0;");
    open("while (" + n + " < " + num(nb) + ")");
    line(r + " = " + lo + " + " + n + ";");
    line(n + "++;");
    open("if (" + r + " > " + hi + ")");
    line("break;");
    close();
    line("// a zero row between zero rows (2 each side, HIST_ELISION) is left out, marked by '~'");
    line(keep + " = 0;");
    for (int d = -2; d <= 2; ++d) {
      std::string at = d == 0 ? r : "(" + r + (d < 0 ? " - " : " + ") + num(d < 0 ? -d : d) + ")";
      std::string inRange = d < 0 ? at + " >= " + lo + " && " : d > 0 ? at + " <= " + hi + " && " : "";
      line("if (" + inRange + st.bucket(at) + " != 0) { " + keep + " = 1; }");
    }
    open("if (" + keep + " == 0)");
    line(eliding + " = 1;");
    line("continue;");
    close();
    open("if (" + eliding + ")");
    line("printf(\"%s ~\\n\", @__spaces[" + vs + "]);");
    line(eliding + " = 0;");
    close();
    if (isLog) {
      line(val + " = " + bucketValue(r) + ";");
      line("printf(\"%s%ld |\", @__spaces[" + vs + " - " + neededSpace(val) + "], " + val + ");");
    } else {
      open("if (" + r + " == 0)");
      line("printf(\"%s<%ld |\", @__spaces[" + vs + " - " + neededSpace(num(shape.start)) + " - 1], " +
           num(shape.start) + ");");
      orElse();
      open("if (" + r + " == " + last + ")");
      line(val + " = " + num(shape.start) + " + " + num(shape.interval * (nb - 3)) + ";");
      line("printf(\"%s>%ld |\", @__spaces[" + vs + " - " + neededSpace(val) + " - 1], " + val + ");");
      orElse();
      line(val + " = " + num(shape.start) + " + (" + r + " - 1) * " + num(shape.interval) + ";");
      line("printf(\"%s%ld |\", @__spaces[" + vs + " - " + neededSpace(val) + "], " + val + ");");
      close();
      close();
    }
    line(count + " = " + st.bucket(r) + ";");
    line("printf(\"%-" + num(kHistWidth) + "s%s%ld\\n\", @__bars[(int64)((uint64)" + count + " / (uint64)" + scale +
         ")], @__spaces[1 + " + cnt + " - " + digitCount(count, 10) + "], " + count + ");");
    close();
    line(printKindAddsNewline(p->printKind) ? "printf(\"\\n\\n\");" : "printf(\"\\n\");");
  }

  // _stp_bucket_to_val: the value a log histogram's bucket starts at.
  static std::string bucketValue(const std::string& i) {
    return "(" + i + " == 64 ? 0 : (" + i + " < 64 ? (" + i + " == 0 ? (-9223372036854775807 - 1) : -(1 << (63 - " +
           i + "))) : 1 << (" + i + " - 65)))";
  }

  // ================================================================ expressions

  std::string cond(Expr* e) { return expr(e); }

  // A value in its natural bpftrace form (interned strings as their id).
  std::string valueOf(Expr* e) { return e->type == Type::String ? stringOf(e) : expr(e); }

  // The expression as a real bpftrace string.
  std::string stringOf(Expr* e) {
    if (auto* s = as<StringLiteral>(e)) return btString(s->value);
    if (strings_.isInterned(e)) return "@__str[" + expr(e) + "]";
    return expr(e);
  }

  // The interned id of a string expression.
  std::string idOf(Expr* e) {
    if (auto* s = as<StringLiteral>(e)) {
      auto it = strings_.ids.find(s->value);
      if (it != strings_.ids.end()) return num(it->second);
    }
    if (strings_.isInterned(e)) return expr(e);
    unsupported(e, "this string value (it cannot be interned)");
    return "0";
  }

  std::string expr(Expr* e) {
    switch (e->kind) {
      case Kind::NumberLiteral: {
        int64_t v = static_cast<NumberLiteral*>(e)->value;
        if (v == INT64_MIN) return "(-9223372036854775807 - 1)";
        return v < 0 ? "(" + num(v) + ")" : num(v);
      }
      case Kind::StringLiteral: {
        auto* s = static_cast<StringLiteral*>(e);
        if (strings_.isInterned(e)) return num(strings_.id(s->value));
        return btString(s->value);
      }
      case Kind::Variable: {
        const Symbol* s = prog_.symbolOf(e);
        return s ? ref(s) : "0";
      }
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        if (auto* h = as<Histogram>(a->base)) {
          if (a->indices.size() != 1 || !a->indices[0]) {
            unsupported(e, "this histogram index");
            return "0";
          }
          return statRef(h->operand).bucket(expr(a->indices[0]));
        }
        return arrayRef(a);
      }
      case Kind::Unary: {
        auto* u = static_cast<Unary*>(e);
        std::string o = expr(u->operand);
        switch (u->op) {
          case UnaryOp::Plus: return o;
          case UnaryOp::Minus: return "(-" + o + ")";
          case UnaryOp::Not: return "(!" + o + ")";
          case UnaryOp::BitNot: return "(~" + o + ")";
        }
        return o;
      }
      case Kind::Binary: return binary(static_cast<Binary*>(e));
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        bool interned = t->type == Type::String && strings_.isInterned(e);
        std::string a = t->type == Type::String ? (interned ? idOf(t->thenExpr) : stringOf(t->thenExpr)) : expr(t->thenExpr);
        std::string b = t->type == Type::String ? (interned ? idOf(t->elseExpr) : stringOf(t->elseExpr)) : expr(t->elseExpr);
        return "(" + expr(t->cond) + " ? " + a + " : " + b + ")";
      }
      case Kind::ArrayIn: {
        ArrayIndex* el = static_cast<ArrayIn*>(e)->element;
        const Symbol* s = prog_.symbolOf(el->base);
        if (!s) {
          unsupported(e, "'in' on a histogram");
          return "0";
        }
        for (Expr* k : el->indices)
          if (!k) {
            unsupported(e, "'in' with a '*' wildcard key");
            return "0";
          }
        return "(@" + mangle(s->name) + "__slot[" + keysOf(el->indices) + "] != 0)";
      }
      case Kind::StatOp: {
        auto* s = static_cast<StatOp*>(e);
        return statistic(s, s->stat);
      }
      case Kind::FunctionCall: return call(static_cast<FunctionCall*>(e));
      case Kind::TargetVariable: return target(static_cast<TargetVariable*>(e));
      case Kind::PrintCall:
        unsupported(e, std::string("'") + printKindName(static_cast<PrintCall*>(e)->printKind) +
                           "' as a value (bpftrace 0.17 cannot build strings)");
        return "\"\"";
      case Kind::RegexMatch: unsupported(e, "regular expression matching (bpftrace 0.17 has none)"); return "0";
      case Kind::CastOp: unsupported(e, "@cast"); return "0";
      case Kind::AtVar: unsupported(e, "@var"); return "0";
      case Kind::AutoCast: unsupported(e, "'->' on a value that is not a target variable"); return "0";
      case Kind::EntryOp: unsupported(e, "@entry"); return "0";
      case Kind::PerfOp: unsupported(e, "@perf"); return "0";
      case Kind::EmbeddedExpr:
      case Kind::ConstOp: unsupported(e, "embedded C"); return "0";
      default: unsupported(e, std::string("expression ") + kindName(e->kind)); return "0";
    }
  }

  std::string binary(Binary* b) {
    if (b->op == BinaryOp::Concat) {
      if (!strings_.isInterned(b)) {
        unsupported(b, "string concatenation ('.') of values not known at translation time "
                       "(bpftrace 0.17 cannot concatenate strings)");
        return "0";
      }
      return concatTable(b->left, b->right, b);
    }
    if (isComparison(b->op) && b->left->type == Type::String) {
      bool bothInterned = strings_.isInterned(b->left) && strings_.isInterned(b->right);
      if (b->op != BinaryOp::Eq && b->op != BinaryOp::Ne) {
        if (bothInterned)
          return "(@__rank[" + expr(b->left) + "] " + binaryOpSpelling(b->op) + " @__rank[" + expr(b->right) + "])";
        unsupported(b, "ordering strings with '<' or '>' (bpftrace 0.17 only compares them for equality)");
        return "0";
      }
      if (bothInterned) return "(" + idOf(b->left) + " " + binaryOpSpelling(b->op) + " " + idOf(b->right) + ")";
      // strncmp rather than ==: bpftrace 0.17 warns ("Addrspace mismatch") when == compares
      // a user-space string (a syscall argument) with a literal.
      return "(strncmp(" + stringOf(b->left) + ", " + stringOf(b->right) + ", " + num(ctx_.limits.maxStringLen) +
             ") " + binaryOpSpelling(b->op) + " 0)";
    }
    std::string l = expr(b->left), r = expr(b->right);
    switch (b->op) {
      case BinaryOp::Div: return signedDivision(true, l, r);
      case BinaryOp::Mod: return signedDivision(false, l, r);
      case BinaryOp::Shr: return signedShiftRight(l, r);
      case BinaryOp::UShr: return "(int64)((uint64)" + l + " >> " + r + ")";
      default: return "(" + l + " " + binaryOpSpelling(b->op) + " " + r + ")";
    }
  }

  // bpftrace divides unsigned; SystemTap divides signed 64-bit values, truncating toward
  // zero, with the remainder taking the dividend's sign.
  static std::string signedDivision(bool divide, const std::string& l, const std::string& r) {
    std::string al = "(uint64)(" + l + " < 0 ? -" + l + " : " + l + ")";
    bool positiveLiteral = !r.empty() && std::all_of(r.begin(), r.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                           r != "0";
    if (positiveLiteral) {
      // By a positive constant: the quotient or remainder of |l|, with l's sign.
      std::string v = "(int64)(" + al + (divide ? " / " : " % ") + r + ")";
      return "(" + l + " < 0 ? -" + v + " : " + v + ")";
    }
    std::string ar = "(uint64)(" + r + " < 0 ? -" + r + " : " + r + ")";
    if (divide) {
      std::string q = "(int64)(" + al + " / " + ar + ")";
      return "((" + l + " < 0) == (" + r + " < 0) ? " + q + " : -" + q + ")";
    }
    std::string m = "(int64)(" + al + " % " + ar + ")";
    return "(" + l + " < 0 ? -" + m + " : " + m + ")";
  }

  // bpftrace shifts right logically; SystemTap's >> on a signed long is arithmetic.
  static std::string signedShiftRight(const std::string& l, const std::string& r) {
    return "(" + l + " < 0 ? ~((~" + l + ") >> " + r + ") : " + l + " >> " + r + ")";
  }

  std::string statistic(StatOp* s, StatKind kind) {
    StatRef st = statRef(s->operand);
    switch (kind) {
      case StatKind::Count: return st.at("__count");
      case StatKind::Sum: return st.at("__sum");
      case StatKind::Min: return st.at("__min");
      case StatKind::Max: return st.at("__max");
      case StatKind::Avg: return signedDivision(true, st.at("__sum"), st.at("__count"));
      default: unsupported(s, "@variance"); return "0";
    }
  }

  std::string call(FunctionCall* c) {
    std::vector<std::string> args;
    for (Expr* a : c->args) args.push_back(a->type == Type::String && !strings_.isInterned(a) ? stringOf(a) : expr(a));
    if (c->name == "pp") return btString(probe_ ? probe_->point.text : "");
    if (c->name == "is_return") return probe_ && sema::isReturnPoint(probe_->point) ? "1" : "0";
    if (c->name == "substr" || c->name == "strlen" || c->name == "isinstr") return stringFunction(c);
    // A tracepoint's string field read with user_string()/kernel_string(): bpftrace's str()
    // of the field itself knows its address space (a cast to an integer would lose it).
    if ((c->name == "user_string" || c->name == "user_string_n" || c->name == "kernel_string" ||
         c->name == "kernel_string_n") && !c->args.empty() && probe_ && probe_->point.kind == ProbeKind::Tracepoint)
      if (auto* t = as<TargetVariable>(c->args[0]); t && t->components.empty()) {
        std::string field = "args->" + t->name.substr(1);
        return c->args.size() > 1 ? "str(" + field + ", " + args[1] + ")" : "str(" + field + ")";
      }
    // target(): the pid of -x PID (bpftrace's $1), or of the command started with -c.
    if (c->name == "target") return opt_.childCommand ? "(int64)cpid" : "$1";
    std::string out, why;
    if (translateBuiltin(c->name, args, out, why)) return out;
    unsupported(c, "'" + c->name + "()' " + why);
    return "0";
  }

  // substr/strlen/isinstr on interned strings: lookups in tables computed at translation.
  std::string stringFunction(FunctionCall* c) {
    if (c->name == "substr") {
      if (!strings_.isInterned(c)) {
        unsupported(c, "substr() of a string not known at translation time (bpftrace 0.17 has no substr)");
        return "0";
      }
      return substrTable(c);
    }
    Expr* s = c->args[0];
    if (!strings_.isInterned(s) || (c->name == "isinstr" && !strings_.isInterned(c->args[1]))) {
      unsupported(c, "'" + c->name + "()' of a string not known at translation time (bpftrace 0.17 lacks it)");
      return "0";
    }
    if (c->name == "strlen") {
      needLengths_ = true;
      return "@__strlen[" + idOf(s) + "]";
    }
    std::string table = "@__isinstr" + num(++counter_);
    for (int64_t a : valuesOf(s))
      for (int64_t b : valuesOf(c->args[1]))
        tableLines_.push_back(table + "[" + num(a) + ", " + num(b) + "] = " +
                              (strings_.values[a].find(strings_.values[b]) != std::string::npos ? "1" : "0") + ";");
    return table + "[" + idOf(s) + ", " + idOf(c->args[1]) + "]";
  }

  std::string concatTable(Expr* left, Expr* right, Expr* whole) {
    auto lv = valuesOf(left), rv = valuesOf(right);
    std::string table = "@__concat" + num(++counter_);
    for (int64_t a : lv)
      for (int64_t b : rv) {
        std::string joined = strings_.values[a] + strings_.values[b];
        auto it = strings_.ids.find(joined);
        if (it == strings_.ids.end()) {
          unsupported(whole, "this concatenation (a result was not interned)");
          return "0";
        }
        tableLines_.push_back(table + "[" + num(a) + ", " + num(b) + "] = " + num(it->second) + ";");
      }
    return table + "[" + idOf(left) + ", " + idOf(right) + "]";
  }

  std::set<int64_t> valuesOf(Expr* e) {
    auto it = strings_.expressions.find(e);
    if (it != strings_.expressions.end()) return it->second;
    if (auto* s = as<StringLiteral>(e)) return {strings_.id(s->value)};
    return {};
  }

  // substr(s, start, len) with s interned: a table over (s, start, len), with len clamped
  // to the longest value; a start or length out of range finds no entry, which reads as
  // id 0, "" (tapset/string.stp: strlcpy of at most len characters from start).
  std::string substrTable(FunctionCall* c) {
    std::string table = "@__substr" + num(++counter_);
    size_t longest = 0;
    std::set<int64_t> values = valuesOf(c->args[0]);
    for (int64_t id : values) longest = std::max(longest, strings_.values[id].size());
    for (int64_t id : values) {
      const std::string& v = strings_.values[id];
      for (size_t start = 0; start < v.size(); ++start)
        for (size_t len = 1; len <= longest; ++len) {
          auto it = strings_.ids.find(v.substr(start, len));
          if (it == strings_.ids.end() || it->second == 0) continue;
          tableLines_.push_back(table + "[" + num(id) + ", " + num(static_cast<int64_t>(start)) + ", " +
                                num(static_cast<int64_t>(len)) + "] = " + num(it->second) + ";");
        }
    }
    std::string s = idOf(c->args[0]);
    std::string start = expr(c->args[1]);
    std::string len = c->args.size() > 2 ? expr(c->args[2]) : num(static_cast<int64_t>(longest));
    std::string lenClamped =
        "(" + len + " > " + num(static_cast<int64_t>(longest)) + " ? " + num(static_cast<int64_t>(longest)) + " : " + len + ")";
    return table + "[" + s + ", " + start + ", " + lenClamped + "]";
  }

  std::string target(TargetVariable* t) {
    const DerivedProbe* p = probe_;
    std::string name = t->name.substr(1);
    if (!t->components.empty() || !p) {
      unsupported(t, "target variable '" + t->name + "' with '->' or '[]' under bpftrace (not yet)");
      return "0";
    }
    switch (p->point.kind) {
      case ProbeKind::Tracepoint: {
        const tapset::TracepointFormat* fmt = ctx_.kernel.tracepointFormat(p->point.system, p->point.event);
        const tapset::TracepointField* f = fmt ? fmt->field(name) : nullptr;
        if (!f) {
          unsupported(t, "'" + t->name + "': tracepoint " + p->point.system + ":" + p->point.event +
                             " has no such field");
          return "0";
        }
        if (t->type == Type::String) return "str(args->" + name + ")";
        return "(int64)args->" + name;
      }
      case ProbeKind::KernelFunction:
      case ProbeKind::UserFunction:
        if (name == "return") return "retval";
        if (ctx_.kernel.features().fentry && p->point.kind == ProbeKind::KernelFunction) return "args->" + name;
        unsupported(t, "'" + t->name + "': parameters of " + p->point.text +
                           " by name need kfunc (fentry) support or debuginfo");
        return "0";
      default:
        unsupported(t, "'" + t->name + "' in a " + std::string(sema::probeKindName(p->point.kind)) + " probe");
        return "0";
    }
  }

  // ================================================================ tables and END

  // SystemTap's display of a global written but never read (elaborate.cxx
  // add_global_var_display; SystemTap 4.8 prints numbers in decimal).
  void autoPrint(const Symbol* g) {
    std::string name = "@" + mangle(g->name);
    if (g->keyTypes.empty()) {
      if (g->type == Type::Stats) {
        open("if (" + name + "__count == 0)");
        line("printf(" + btString(g->name + " @count=0x0\n") + ");");
        orElse();
        line("printf(" + btString(g->name + " @count=%ld @min=%ld @max=%ld @sum=%ld @avg=%ld\n") + ", " + name +
             "__count, " + name + "__min, " + name + "__max, " + name + "__sum, " +
             signedDivision(true, name + "__sum", name + "__count") + ");");
        close();
      } else if (g->type == Type::String) {
        line("printf(" + btString(g->name + "=\"%s\"\n") + ", " +
             (strings_.isInterned(g) ? "@__str[" + name + "]" : name) + ");");
      } else {
        line("printf(" + btString(g->name + "=%ld\n") + ", " + name + ");");
      }
      return;
    }
    // Arrays: every entry, sorted by decreasing value (SystemTap's synthesized end probe
    // does `foreach (v = [k...] in name-)`; for statistics by @count).
    ForeachStmt* f = ctx_.ast.make<ForeachStmt>(g->declLoc);
    auto* base = ctx_.ast.make<Variable>(g->declLoc, g->name);
    prog_.symbols[base] = const_cast<Symbol*>(g);
    f->array = base;
    f->sortDirection = -1;
    f->sortColumn = 0;
    if (g->type == Type::Stats) f->sortAggregate = StatKind::Count;
    std::string format = g->name + "[";
    std::vector<std::string> keyVars;
    for (size_t i = 0; i < g->keyTypes.size(); ++i) {
      Symbol* k = prog_.newSymbol(sema::SymbolKind::Local, "__k" + num(static_cast<int64_t>(i)), g->declLoc);
      k->type = g->keyTypes[i];
      survey_.readLocals.insert(k);
      auto* kv = ctx_.ast.make<Variable>(g->declLoc, k->name);
      kv->type = k->type;
      prog_.symbols[kv] = k;
      f->keys.push_back(kv);
      format += (i ? "," : "") + std::string(k->type == Type::String ? "\"%s\"" : "%ld");
      keyVars.push_back(localRef(k));
      line(localRef(k) + " = " + (k->type == Type::String ? "\"\"" : "0") + ";");
    }
    format += "]";
    std::string keys = joinList(keyVars);
    std::vector<std::string> call;
    if (g->type == Type::Stats) {
      format += " @count=%ld @min=%ld @max=%ld @sum=%ld @avg=%ld\n";
      call.push_back("printf(" + btString(format) + ", " + keys + ", " + name + "__count[" + keys + "], " + name +
                     "__min[" + keys + "], " + name + "__max[" + keys + "], " + name + "__sum[" + keys + "], " +
                     signedDivision(true, name + "__sum[" + keys + "]", name + "__count[" + keys + "]") + ");");
    } else {
      Symbol* v = prog_.newSymbol(sema::SymbolKind::Local, "__value", g->declLoc);
      v->type = g->type;
      survey_.readLocals.insert(v);
      auto* vv = ctx_.ast.make<Variable>(g->declLoc, v->name);
      prog_.symbols[vv] = v;
      f->value = vv;
      bool interned = g->type == Type::String && strings_.isInterned(g);
      if (interned) strings_.symbols.insert(v);
      line(localRef(v) + " = " + (g->type == Type::String && !interned ? "\"\"" : "0") + ";");
      format += g->type == Type::String ? "=\"%s\"\n" : "=%ld\n";
      call.push_back("printf(" + btString(format) + ", " + keys + ", " +
                     (interned ? "@__str[" + localRef(v) + "]" : localRef(v)) + ");");
    }
    f->body = ctx_.ast.make<Block>(g->declLoc);
    rawBody_ = call;
    foreach(f);
    rawBody_.clear();
  }

  static std::string joinList(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
  }

  void clearMaps() {
    std::vector<std::pair<std::string, bool>> maps;  // name, scalar
    for (const Symbol* g : prog_.globals) {
      std::string n = "@" + mangle(g->name);
      bool scalar = g->keyTypes.empty();
      if (g->type == Type::Stats) {
        for (const char* s : {"__count", "__sum", "__min", "__max"}) maps.push_back({n + s, scalar});
        if (survey_.histograms.count(g)) maps.push_back({n + "__hist", false});
      } else if (g->read || g->written) {
        maps.push_back({n, scalar});
      }
      if (survey_.keyLogged.count(g)) {
        maps.push_back({n + "__slot", false});
        maps.push_back({n + "__key", false});
        maps.push_back({n + "__n", true});
      }
    }
    maps.push_back({"@__exit", true});
    maps.push_back({"@__error", true});
    for (const std::string& t : tableNames()) maps.push_back({t, false});
    for (const std::string& n : stateMaps_) maps.push_back({n, false});
    for (const auto& [n, scalar] : maps) line((scalar ? "delete(" : "clear(") + n + ");");
  }

  std::vector<std::string> tableNames() {
    std::set<std::string> out;
    for (const std::string& l : tableLines_) out.insert(l.substr(0, l.find('[')));
    if (strings_.values.size() > 1) {
      out.insert("@__str");
      out.insert("@__rank");
    }
    if (needLengths_) out.insert("@__strlen");
    if (needSpaces_) out.insert("@__spaces");
    if (needBars_) out.insert("@__bars");
    return {out.begin(), out.end()};
  }

  // bpftrace fixes a map's value type at its first assignment in the script, and a map
  // first written with `+=` or `++` becomes unsigned, which breaks signed comparisons.
  // So every integer map is first given a signed zero (under a dummy key, then deleted).
  std::string typePreamble() {
    std::ostringstream out;
    auto dummyKey = [](const std::vector<Type>& keys) {
      std::string k;
      for (size_t i = 0; i < keys.size(); ++i) k += (i ? ", " : "") + std::string(keys[i] == Type::String ? "\"\"" : "0");
      return k;
    };
    auto typed = [&](const std::string& map, const std::vector<Type>& keys, const std::string& zero) {
      if (keys.empty()) {
        out << "  " << map << " = " << zero << ";\n";
      } else {
        std::string k = dummyKey(keys);
        out << "  " << map << "[" << k << "] = " << zero << "; delete(" << map << "[" << k << "]);\n";
      }
    };
    out << "  // Map types: signed integers (see typePreamble)\n";
    for (const Symbol* g : prog_.globals) {
      if (!g->read && !g->written) continue;
      std::string name = "@" + mangle(g->name);
      if (g->type == Type::Stats) {
        for (const char* s : {"__count", "__sum", "__min", "__max"}) typed(name + s, g->keyTypes, "0");
        if (survey_.histograms.count(g)) {
          std::vector<Type> keys = g->keyTypes;
          keys.push_back(Type::Long);
          typed(name + "__hist", keys, "0");
        }
      } else if (g->type == Type::Long || (g->type == Type::String && strings_.isInterned(g))) {
        if (!g->init) typed(name, g->keyTypes, "0");
      }
      if (survey_.keyLogged.count(g)) {
        typed(name + "__n", {}, "0");
        typed(name + "__slot", g->keyTypes, "0");
        std::string keyZero = g->keyTypes.size() > 1 ? "(" + dummyKey(g->keyTypes) + ")" : dummyKey(g->keyTypes);
        typed(name + "__key", {Type::Long}, keyZero);
      }
    }
    for (const std::string& m : stateMaps_) typed(m, {Type::Long}, "0");
    typed("@__exit", {}, "0");
    typed("@__error", {}, "0");
    return out.str();
  }

  void unsupported(const Node* n, const std::string& what) {
    ctx_.diags.error(n ? n->loc : SourceLocation{},
                     what + " is not supported by the bpftrace backend; use --target=c");
  }

  passes::PassContext& ctx_;
  sema::Program& prog_;
  Options opt_;
  Survey survey_;
  size_t errorsAtStart_;
  passes::InternedStrings strings_;
  std::ostringstream out_;
  int indent_ = 0;
  int counter_ = 0;
  int loopDepth_ = 0;
  bool nextIsBreak_ = false;
  bool needLengths_ = false;
  bool needSpaces_ = false;
  bool needBars_ = false;
  std::vector<std::string> rawBody_;  // when set, foreach() writes these lines as its body (auto-print)
  const DerivedProbe* probe_ = nullptr;
  std::map<const Symbol*, std::string> localNames_;
  std::map<std::string, int> usedLocalNames_;
  std::vector<std::function<void()>> continueSteps_;
  std::vector<std::string> tableLines_;
  std::vector<std::string> stateMaps_;
};

}  // namespace

std::string emit(passes::PassContext& ctx, const Options& options) {
  Emitter e(ctx, options);
  std::string text = e.run();
  if (text.empty()) return text;
  return e.finish(text);
}

}  // namespace stp2bpf::backends::bpftrace
