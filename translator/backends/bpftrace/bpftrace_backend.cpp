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

// Finds things the emitter must know before it starts: arrays that need key logs, whether
// exit() is called, and which statistics are used.
class Survey : public Visitor {
 public:
  using Visitor::visit;
  explicit Survey(const sema::Program& p) : prog(p) {}
  const sema::Program& prog;
  std::set<const Symbol*> keyLogged;  // arrays iterated, tested with `in`, or auto-printed
  std::set<const Symbol*> histLog;     // statistics printed with @hist_log
  std::map<const Symbol*, const Histogram*> histLinear;
  bool exitCalled = false;

  void visit(ArrayIn& n) override {
    if (const Symbol* s = prog.symbolOf(n.element->base)) keyLogged.insert(s);
    Visitor::visit(n);
  }
  void visit(ForeachStmt& n) override {
    if (const Symbol* s = prog.symbolOf(n.array)) keyLogged.insert(s);
    Visitor::visit(n);
  }
  void visit(FunctionCall& n) override {
    if (n.name == "exit") exitCalled = true;
    Visitor::visit(n);
  }
  void visit(Histogram& n) override {
    Expr* o = n.operand;
    if (auto* a = as<ArrayIndex>(o)) o = a->base;
    if (const Symbol* s = prog.symbolOf(o)) {
      if (n.histKind == HistogramKind::Log) histLog.insert(s);
      else histLinear[s] = &n;
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

  void header() {
    out_ << "#!/usr/bin/env bpftrace\n"
         << "// Translated from " << (opt_.scriptName.empty() ? "a SystemTap script" : opt_.scriptName)
         << " by stp2bpf, for bpftrace 0.17 or newer.\n"
         << "// Run with `bpftrace -q` (or `stp2bpf run --backend=bpftrace`); strings longer than\n"
         << "// bpftrace's BPFTRACE_STRLEN (64 by default) are cut, SystemTap's MAXSTRINGLEN is "
         << ctx_.limits.maxStringLen << ".\n"
         << "// Limits: MAXACTION " << ctx_.limits.maxAction << " (iterations per loop), foreach over at most "
         << opt_.foreachMax << " entries per array.\n";
  }

  // ================================================================ probes

  std::string probeSpec(const DerivedProbe& p, std::string& why) {
    const sema::AttachPoint& a = p.point;
    const tapset::KernelFeatures& kf = ctx_.kernel.features();
    switch (a.kind) {
      case ProbeKind::Timer: {
        if (a.timerUnit == "s" || a.timerUnit == "sec") return "interval:s:" + std::to_string(a.timerCount);
        if (a.timerUnit == "ms" || a.timerUnit == "msec") return "interval:ms:" + std::to_string(a.timerCount);
        if (a.timerUnit == "us" || a.timerUnit == "usec") return "interval:us:" + std::to_string(a.timerCount);
        if (a.timerUnit == "hz") return "interval:hz:" + std::to_string(a.timerCount);
        // ns and jiffies have no unit in bpftrace 0.17: use microseconds.
        if (a.periodNs % 1000 == 0) return "interval:us:" + std::to_string(a.periodNs / 1000);
        why = "a timer period of " + std::to_string(a.periodNs) + " ns is not a whole number of microseconds";
        return "";
      }
      case ProbeKind::Profile: return "profile:hz:" + std::to_string(1000000000 / a.periodNs);
      case ProbeKind::Tracepoint: return "tracepoint:" + a.system + ":" + a.event;
      case ProbeKind::KernelFunction:
        if (kf.fentry) return (a.isReturn ? "kretfunc:" : "kfunc:") + a.symbol;
        if (kf.kprobes) return (a.isReturn ? "kretprobe:" : "kprobe:") + a.symbol;
        why = "this kernel has neither kprobes nor fentry (kfunc) support";
        return "";
      case ProbeKind::UserFunction: return (a.isReturn ? "uretprobe:" : "uprobe:") + a.path + ":" + a.symbol;
      case ProbeKind::Usdt: return "usdt:" + a.path + ":" + a.symbol;
      case ProbeKind::PerfSoftware: return "software:" + a.perfEvent + ":" + std::to_string(a.perfSample);
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
    line("// " + locationComment(p.loc) + ": probe " + p.point.text);
    std::string head = spec;
    if (p.condition) head += " /" + expr(p.condition) + "/";
    open(head);
    localNames_.clear();
    declareLocals(p);
    body(p.body);
    exitCheck(p.body);
    close();
    out_ << '\n';
    probe_ = nullptr;
  }

  void exitCheck(Stmt* body) {
    if (!survey_.exitCalled) return;
    line("if (@__exit) { exit(); }");
  }

  void beginBlock(const std::vector<DerivedProbe*>& begins) {
    // Always written: the string tables found while translating the other probes are
    // inserted at the marker afterwards (finish()); an empty BEGIN is removed there.
    line("// SystemTap begin probes, in priority order, after the global initialisers");
    open("BEGIN");
    localNames_.clear();
    for (const Symbol* g : prog_.globals) {
      if (!g->init) continue;
      probe_ = nullptr;
      line(globalRef(g) + " = " + (strings_.isInterned(g) ? idOf(g->init) : valueOf(g->init)) + ";");
    }
    line("// @@TABLES@@");
    for (DerivedProbe* p : begins) part(*p);
    if (survey_.exitCalled) line("if (@__exit) { exit(); }");
    close();
    out_ << '\n';
  }

  void endBlock(const std::vector<DerivedProbe*>& ends, const std::vector<DerivedProbe*>& errors) {
    line("// SystemTap end probes, then the globals SystemTap prints at exit; maps it would");
    line("// not print are cleared so that bpftrace does not dump them");
    open("END");
    localNames_.clear();
    if (!errors.empty()) {
      open("if (@__error)");
      for (DerivedProbe* p : errors) part(*p);
      close();
    }
    for (DerivedProbe* p : ends) part(*p);
    for (const Symbol* g : prog_.autoPrint) autoPrint(g);
    clearMaps();
    if (opt_.endMarker) line("printf(\"__stp2bpf_end_of_output__\\n\");  // for stp2bpf run");
    close();
  }

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
      name = base + "_" + std::to_string(n);
    usedLocalNames_[name] = localKind(s);
    localNames_[s] = name;
    return name;
  }

  // Locals of different types cannot share a bpftrace scratch variable.
  int localKind(const Symbol* s) {
    if (s->type == Type::String && !strings_.isInterned(s)) return 1;
    return 0;
  }

  std::string fresh(const std::string& what) { return "$__" + what + std::to_string(++counter_); }

  void declareLocals(DerivedProbe& p) {
    // SystemTap locals start at 0 or "" on every probe hit; bpftrace needs a first assignment.
    for (const Symbol* s : p.locals) {
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
      for (Stmt* c : b->statements) statement(c);
    } else if (s) {
      statement(s);
    }
  }

  void statement(Stmt* s) {
    // Division by zero is SystemTap's run-time error: check every divisor first (lowering
    // put conditional divisions in statements of their own).
    divisionChecks(s);
    switch (s->kind) {
      case Kind::Block: body(s); break;
      case Kind::ExprStmt: exprStatement(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        open("if (" + cond(i->cond) + ")");
        body(i->thenStmt);
        if (i->elseStmt) {
          --indent_;
          line("} else {");
          ++indent_;
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
    line("printf(" + btString("ERROR: " + message + "\n") + ");");
    line("@__error = 1;");
    line("exit();");
  }

  void divisionChecks(Stmt* s) {
    std::vector<Binary*> divs;
    collectDivisions(s, divs);
    for (Binary* d : divs) {
      if (as<NumberLiteral>(d->right)) continue;
      open("if (" + expr(d->right) + " == 0)");
      runtimeError(std::string("division by 0 near operator '") + binaryOpSpelling(d->op) + "' at " +
                   d->loc.str());
      close();
    }
  }

  // Divisions evaluated by this statement itself (not by nested statements).
  void collectDivisions(Stmt* s, std::vector<Binary*>& out) {
    struct F : Visitor {
      using Visitor::visit;
      std::vector<Binary*>* out;
      void visit(Binary& b) override {
        if (b.op == BinaryOp::Div || b.op == BinaryOp::Mod) out->push_back(&b);
        Visitor::visit(b);
      }
      void visit(Assignment& a) override {
        if (a.op == AssignOp::Div || a.op == AssignOp::Mod) divAssign.push_back(&a);
        Visitor::visit(a);
      }
      std::vector<Assignment*> divAssign;
    } f;
    f.out = &out;
    switch (s->kind) {
      case Kind::ExprStmt: f.visit(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: f.visit(static_cast<IfStmt*>(s)->cond); break;
      case Kind::ForeachStmt: f.visit(static_cast<ForeachStmt*>(s)->limit); break;
      case Kind::DeleteStmt: f.visit(static_cast<DeleteStmt*>(s)->target); break;
      default: break;
    }
    for (Assignment* a : f.divAssign) {
      if (as<NumberLiteral>(a->value)) continue;
      open("if (" + expr(a->value) + " == 0)");
      runtimeError(std::string("division by 0 near operator '") + assignOpSpelling(a->op) + "' at " +
                   a->loc.str());
      close();
    }
  }

  void exprStatement(Expr* e) {
    switch (e->kind) {
      case Kind::Assignment: assignment(static_cast<Assignment*>(e)); break;
      case Kind::IncDec: {
        auto* i = static_cast<IncDec*>(e);
        std::string target = lvalueRef(i->operand);
        touchKey(i->operand);
        line(target + (i->increment ? "++;" : "--;"));
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

  // Before writing an element of a key-logged array: record a new key.
  void touchKey(Expr* target) {
    auto* a = as<ArrayIndex>(target);
    if (!a) return;
    const Symbol* s = prog_.symbolOf(a->base);
    if (!s || !survey_.keyLogged.count(s)) return;
    std::string keys = keysOf(a->indices);
    std::string name = "@" + mangle(s->name);
    open("if (" + name + "__slot[" + keys + "] == 0)");
    open("if (" + name + "__n >= " + std::to_string(opt_.foreachMax) + ")");
    runtimeError("array " + s->name + " has more than " + std::to_string(opt_.foreachMax) +
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
      default: {
        line(target + " " + assignOpSpelling(a->op) + " " + expr(a->value) + ";");
        return;
      }
    }
  }

  bool internedTarget(Expr* target) {
    const Node* base = target;
    if (auto* a = as<ArrayIndex>(target)) base = a->base;
    const Symbol* s = prog_.symbolOf(base);
    return s && strings_.isInterned(s);
  }

  // `x <<< v`: count, sum, min, max (and histogram buckets) kept in plain maps.
  void aggregate(Assignment* a) {
    std::string keys, name;
    if (auto* ai = as<ArrayIndex>(a->target)) {
      keys = keysOf(ai->indices);
      name = "@" + mangle(prog_.symbolOf(ai->base)->name);
      touchKey(a->target);
    } else {
      name = "@" + mangle(prog_.symbolOf(a->target)->name);
    }
    auto at = [&](const std::string& suffix) { return name + suffix + (keys.empty() ? "" : "[" + keys + "]"); };
    std::string v = fresh("v");
    line(v + " = " + expr(a->value) + ";");
    line(at("__count") + " = " + at("__count") + " + 1;");
    line(at("__sum") + " = " + at("__sum") + " + " + v + ";");
    open("if (" + at("__count") + " == 1 || " + v + " < " + at("__min") + ")");
    line(at("__min") + " = " + v + ";");
    close();
    open("if (" + at("__count") + " == 1 || " + v + " > " + at("__max") + ")");
    line(at("__max") + " = " + v + ";");
    close();
    const Symbol* s = prog_.symbolOf(as<ArrayIndex>(a->target) ? static_cast<ArrayIndex*>(a->target)->base : a->target);
    if (survey_.histLog.count(s) || survey_.histLinear.count(s))
      unsupported(a, "@hist_log/@hist_linear histograms under bpftrace (not yet)");
  }

  void deleteStatement(DeleteStmt* d) {
    if (auto* a = as<ArrayIndex>(d->target)) {
      const Symbol* s = prog_.symbolOf(a->base);
      for (Expr* k : a->indices)
        if (!k) {
          unsupported(d, "'delete' with a '*' wildcard key");
          return;
        }
      line("delete(" + arrayRef(a) + ");");
      if (s && survey_.keyLogged.count(s)) line("@" + mangle(s->name) + "__slot[" + keysOf(a->indices) + "] = 0;");
      if (s && s->type == Type::Stats)
        for (const char* suffix : {"__count", "__sum", "__min", "__max"})
          line("delete(" + arrayRef(a, suffix) + ");");
      return;
    }
    const Symbol* s = prog_.symbolOf(d->target);
    if (!s) return;
    if (s->kind != sema::SymbolKind::Global) {
      line(localRef(s) + " = " + (s->type == Type::String && !strings_.isInterned(s) ? "\"\"" : "0") + ";");
      return;
    }
    std::string name = "@" + mangle(s->name);
    if (s->keyTypes.empty() && s->type != Type::Stats) {
      line(name + " = " + (s->type == Type::String && !strings_.isInterned(s) ? "\"\"" : "0") + ";");
      return;
    }
    if (s->type == Type::Stats)
      for (const char* suffix : {"__count", "__sum", "__min", "__max"}) line("clear(" + name + suffix + ");");
    else
      line("clear(" + name + ");");
    if (survey_.keyLogged.count(s)) {
      line("clear(" + name + "__slot);");
      line("clear(" + name + "__key);");
      line(name + "__n = 0;");
    }
  }

  // ---------------------------------------------------------------- loops

  void loop(LoopStmt* l) {
    line("// " + locationComment(l->loc) + ": " + l->origin + " loop, at most " + std::to_string(l->bound) +
         (l->boundIsExact ? " passes (proved)" : " passes (MAXACTION, checked at run time)"));
    std::string n = fresh("iter");
    line(n + " = 0;");
    // The counter bounds the loop for the verifier; past the bound the loop wanted to go
    // on, which is SystemTap's MAXACTION error.
    open("while (" + n + " <= " + std::to_string(l->bound) + ")");
    open("if (" + n + " == " + std::to_string(l->bound) + ")");
    if (l->boundIsExact) {
      line("break;");
    } else {
      runtimeError("MAXACTION exceeded: a loop ran " + std::to_string(l->bound) +
                   " times (at " + l->loc.str() + "; -D MAXACTION=N raises the limit)");
    }
    close();
    line(n + "++;");
    ++loopDepth_;
    continueSteps_.push_back(l->step ? std::function<void()>([this, l] { body(l->step); }) : nullptr);
    body(l->body);
    if (l->step) body(l->step);
    continueSteps_.pop_back();
    --loopDepth_;
    close();
  }

  void foreach(ForeachStmt* f) {
    const Symbol* arr = prog_.symbolOf(f->array);
    if (!arr) {
      unsupported(f, "foreach over a histogram");
      return;
    }
    if (!f->slice.empty()) {
      unsupported(f, "foreach over an array slice");
      return;
    }
    std::string name = "@" + mangle(arr->name);
    std::string slot = fresh("slot"), visited = fresh("visited"), limit;
    bool sorted = f->sortDirection != 0;
    line("// " + locationComment(f->loc) + ": foreach loop over " + arr->name + ", at most " +
         std::to_string(opt_.foreachMax) + " entries" + (sorted ? ", sorted by selection" : ""));
    if (f->limit) {
      limit = fresh("limit");
      line(limit + " = " + expr(f->limit) + ";");
    }
    line(visited + " = 0;");
    int64_t max = opt_.foreachMax;
    auto keyAt = [&](const std::string& s) { return name + "__key[" + s + "]"; };
    auto liveAt = [&](const std::string& s, const std::string& key) {
      return name + "__slot[" + key + "] == " + s;
    };
    // The key of a slot as the array's key list: a tuple's fields for several keys.
    auto keyList = [&](const std::string& k) {
      if (arr->keyTypes.size() <= 1) return k;
      std::string out;
      for (size_t i = 0; i < arr->keyTypes.size(); ++i) out += (i ? ", " : "") + k + "." + std::to_string(i);
      return out;
    };
    auto bindKeys = [&](const std::string& k) {
      for (size_t i = 0; i < f->keys.size(); ++i) {
        const Symbol* ks = prog_.symbolOf(f->keys[i]);
        std::string v = arr->keyTypes.size() > 1 ? k + "." + std::to_string(i) : k;
        if (ks) line(localRef(ks) + " = " + v + ";");
      }
      if (f->value)
        if (const Symbol* vs = prog_.symbolOf(f->value))
          line(localRef(vs) + " = " + name + "[" + keyList(k) + "];");
    };
    std::string seen;
    if (sorted) {
      seen = "@__seen" + std::to_string(++counter_);
      seenMaps_.push_back(seen);
      line("clear(" + seen + ");");
    }
    std::string outer = fresh("pass");
    line(outer + " = 0;");
    open("while (" + outer + " < " + std::to_string(max) + ")");
    line(outer + "++;");
    if (f->limit) {
      open("if (" + visited + " >= " + limit + ")");
      line("break;");
      close();
    }
    std::string key = fresh("key");
    if (!sorted) {
      line(slot + " = " + outer + ";");
      open("if (" + slot + " > " + name + "__n)");
      line("break;");
      close();
      line(key + " = " + keyAt(slot) + ";");
      open("if (" + liveAt(slot, keyList(key)) + ")");
    } else {
      // Selection: the best entry not yet visited, by the sort column.
      std::string best = fresh("best"), s = fresh("s"), bestKey = fresh("bestkey"), k = fresh("k");
      line(best + " = 0;");
      line(s + " = 0;");
      line(bestKey + " = " + keyAt("1") + ";");
      open("while (" + s + " < " + std::to_string(max) + ")");
      line(s + "++;");
      open("if (" + s + " > " + name + "__n)");
      line("break;");
      close();
      line(k + " = " + keyAt(s) + ";");
      open("if (" + liveAt(s, keyList(k)) + " && " + seen + "[" + s + "] == 0)");
      std::string better = sortBetter(f, arr, name, keyList(k), keyList(bestKey), k, bestKey);
      open("if (" + best + " == 0 || " + better + ")");
      line(best + " = " + s + ";");
      line(bestKey + " = " + k + ";");
      close();
      close();
      close();
      open("if (" + best + " == 0)");
      line("break;");
      close();
      line(seen + "[" + best + "] = 1;");
      line(key + " = " + bestKey + ";");
      open("if (1)");
    }
    line(visited + "++;");
    bindKeys(key);
    ++loopDepth_;
    continueSteps_.push_back(nullptr);
    if (!rawBody_.empty()) line(rawBody_);
    else body(f->body);
    continueSteps_.pop_back();
    --loopDepth_;
    close();
    close();
    if (sorted) line("clear(" + seen + ");");
  }

  // The condition under which entry `k` sorts before entry `best`.
  std::string sortBetter(ForeachStmt* f, const Symbol* arr, const std::string& name, const std::string& kList,
                         const std::string& bList, const std::string& k, const std::string& b) {
    std::string op = f->sortDirection > 0 ? " < " : " > ";
    if (f->sortColumn == 0) {
      if (arr->type == Type::Stats) {
        std::string agg = "__count";
        switch (f->sortAggregate) {
          case StatKind::Sum: agg = "__sum"; break;
          case StatKind::Min: agg = "__min"; break;
          case StatKind::Max: agg = "__max"; break;
          default: break;
        }
        if (f->sortAggregate == StatKind::Avg)
          return "(" + name + "__sum[" + kList + "] / " + name + "__count[" + kList + "])" + op + "(" + name +
                 "__sum[" + bList + "] / " + name + "__count[" + bList + "])";
        return name + agg + "[" + kList + "]" + op + name + agg + "[" + bList + "]";
      }
      if (arr->type == Type::String) {
        if (!strings_.isInterned(arr)) {
          unsupported(f, "sorting by a string value under bpftrace 0.17 (it cannot compare strings by order)");
          return "0";
        }
        return "@__rank[" + name + "[" + kList + "]]" + op + "@__rank[" + name + "[" + bList + "]]";
      }
      return name + "[" + kList + "]" + op + name + "[" + bList + "]";
    }
    size_t col = static_cast<size_t>(f->sortColumn - 1);
    std::string kc = arr->keyTypes.size() > 1 ? k + "." + std::to_string(col) : k;
    std::string bc = arr->keyTypes.size() > 1 ? b + "." + std::to_string(col) : b;
    if (arr->keyTypes[col] == Type::String) {
      unsupported(f, "sorting by a string key under bpftrace 0.17 (it cannot compare strings by order)");
      return "0";
    }
    return kc + op + bc;
  }

  // ---------------------------------------------------------------- printing

  void print(PrintCall* p) {
    if (p->histogram) {
      unsupported(p, "printing a histogram under bpftrace (not yet)");
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
        if (i && printKindHasDelimiter(p->printKind)) format += escapeFormat(p->formatOrDelimiter);
        appendValue(p->args[i], format, args);
      }
      if (printKindAddsNewline(p->printKind)) format += "\\n";
    }
    if (printKindReturnsString(p->printKind)) {
      unsupported(p, std::string("'") + printKindName(p->printKind) + "' builds a string at run time, which "
                                                                       "bpftrace 0.17 cannot do");
      return;
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

  bool convertFormat(const std::vector<FormatSpec>& specs, const std::vector<Expr*>& values,
                     std::string& format, std::vector<std::string>& args, std::string& why) {
    size_t next = 0;
    for (const FormatSpec& s : specs) {
      if (s.conv == FormatSpec::Conv::Literal) {
        format += escapeFormat(s.literal);
        continue;
      }
      if (next >= values.size()) {
        why = "printf has fewer values than its format needs";
        return false;
      }
      std::string conv;
      if (!translateConversion(s, conv, why)) return false;
      Expr* v = values[next++];
      if (s.conv == FormatSpec::Conv::String) {
        format += conv;
        args.push_back(stringOf(v));
      } else if (s.conv == FormatSpec::Conv::Char) {
        format += conv;
        args.push_back(expr(v));
      } else {
        format += conv;
        args.push_back(expr(v));
      }
    }
    return true;
  }

  // ================================================================ expressions

  std::string cond(Expr* e) { return expr(e); }

  // A value in its natural bpftrace form (interned strings as their id).
  std::string valueOf(Expr* e) { return e->type == Type::String ? stringOf(e) : expr(e); }

  // The expression as a real bpftrace string.
  std::string stringOf(Expr* e) {
    if (strings_.isInterned(e)) {
      if (auto* s = as<StringLiteral>(e)) return btString(s->value);
      return "@__str[" + expr(e) + "]";
    }
    if (auto* s = as<StringLiteral>(e)) return btString(s->value);
    return expr(e);
  }

  // The interned id of a string expression.
  std::string idOf(Expr* e) {
    if (auto* s = as<StringLiteral>(e)) {
      auto it = strings_.ids.find(s->value);
      if (it != strings_.ids.end()) return std::to_string(it->second);
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
        return v < 0 ? "(" + std::to_string(v) + ")" : std::to_string(v);
      }
      case Kind::StringLiteral: {
        auto* s = static_cast<StringLiteral*>(e);
        if (strings_.isInterned(e)) return std::to_string(strings_.id(s->value));
        return btString(s->value);
      }
      case Kind::Variable: {
        const Symbol* s = prog_.symbolOf(e);
        return s ? ref(s) : "0";
      }
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        if (as<Histogram>(a->base)) {
          unsupported(e, "reading a histogram bucket under bpftrace (not yet)");
          return "0";
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
      case Kind::StatOp: return statistic(static_cast<StatOp*>(e));
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
      return "(" + stringOf(b->left) + " " + binaryOpSpelling(b->op) + " " + stringOf(b->right) + ")";
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

  std::string statistic(StatOp* s) {
    Expr* o = s->operand;
    std::string keys, name;
    if (auto* a = as<ArrayIndex>(o)) {
      name = "@" + mangle(prog_.symbolOf(a->base)->name);
      keys = "[" + keysOf(a->indices) + "]";
    } else {
      name = "@" + mangle(prog_.symbolOf(o)->name);
    }
    switch (s->stat) {
      case StatKind::Count: return name + "__count" + keys;
      case StatKind::Sum: return name + "__sum" + keys;
      case StatKind::Min: return name + "__min" + keys;
      case StatKind::Max: return name + "__max" + keys;
      case StatKind::Avg: return signedDivision(true, name + "__sum" + keys, name + "__count" + keys);
      default: unsupported(s, "@variance"); return "0";
    }
  }

  std::string call(FunctionCall* c) {
    std::vector<std::string> args;
    for (Expr* a : c->args) args.push_back(a->type == Type::String && !strings_.isInterned(a) ? stringOf(a) : expr(a));
    if (c->name == "pp") return btString(probe_ ? probe_->point.text : "");
    if (c->name == "substr" || c->name == "strlen" || c->name == "isinstr") return stringFunction(c);
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
    std::string table = "@__isinstr" + std::to_string(++counter_);
    for (int64_t a : strings_.expressions.at(s))
      for (int64_t b : strings_.expressions.at(c->args[1]))
        tableLines_.push_back(table + "[" + std::to_string(a) + ", " + std::to_string(b) + "] = " +
                              (strings_.values[a].find(strings_.values[b]) != std::string::npos ? "1" : "0") + ";");
    return table + "[" + idOf(s) + ", " + idOf(c->args[1]) + "]";
  }

  std::string concatTable(Expr* left, Expr* right, Expr* whole) {
    auto lv = valuesOf(left), rv = valuesOf(right);
    std::string table = "@__concat" + std::to_string(++counter_);
    for (int64_t a : lv)
      for (int64_t b : rv) {
        std::string joined = strings_.values[a] + strings_.values[b];
        auto it = strings_.ids.find(joined);
        if (it == strings_.ids.end()) {
          unsupported(whole, "this concatenation (a result was not interned)");
          return "0";
        }
        tableLines_.push_back(table + "[" + std::to_string(a) + ", " + std::to_string(b) + "] = " +
                              std::to_string(it->second) + ";");
      }
    return table + "[" + idOf(left) + ", " + idOf(right) + "]";
  }

  std::set<int64_t> valuesOf(Expr* e) {
    auto it = strings_.expressions.find(e);
    if (it != strings_.expressions.end()) return it->second;
    if (auto* s = as<StringLiteral>(e)) return {strings_.id(s->value)};
    return {};
  }

  // substr(s, start, len): with s interned, the result depends on (s, start, len); the
  // table covers every start and length inside each value, and out-of-range arguments
  // give "" (id 0), as SystemTap's substr does.
  std::string substrTable(FunctionCall* c) {
    std::string table = "@__substr" + std::to_string(++counter_);
    size_t longest = 0;
    for (int64_t id : valuesOf(c->args[0])) {
      const std::string& v = strings_.values[id];
      longest = std::max(longest, v.size());
      for (size_t start = 0; start < v.size(); ++start)
        for (size_t len = 1; start + len <= v.size(); ++len) {
          auto it = strings_.ids.find(v.substr(start, len));
          if (it == strings_.ids.end()) continue;
          tableLines_.push_back(table + "[" + std::to_string(id) + ", " + std::to_string(start) + ", " +
                                std::to_string(len) + "] = " + std::to_string(it->second) + ";");
        }
    }
    std::string s = idOf(c->args[0]);
    std::string start = expr(c->args[1]);
    // A length beyond the end is cut at the end: clamp it to the longest value.
    std::string len = c->args.size() > 2 ? expr(c->args[2]) : std::to_string(longest);
    std::string lenClamped = "(" + len + " > " + std::to_string(longest) + " ? " + std::to_string(longest) + " : " + len + ")";
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

  void autoPrint(const Symbol* g) {
    std::string name = "@" + mangle(g->name);
    if (g->keyTypes.empty()) {
      if (g->type == Type::Stats) {
        open("if (" + name + "__count == 0)");
        line("printf(" + btString(g->name + " @count=0x0\n") + ");");
        --indent_;
        line("} else {");
        ++indent_;
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
    // does `foreach (v = [k...] in a-)`).
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
      Symbol* k = prog_.newSymbol(sema::SymbolKind::Local, "__k" + std::to_string(i), g->declLoc);
      k->type = g->keyTypes[i];
      auto* kv = ctx_.ast.make<Variable>(g->declLoc, k->name);
      kv->type = k->type;
      prog_.symbols[kv] = k;
      f->keys.push_back(kv);
      format += (i ? "," : "") + std::string(k->type == Type::String ? "\"%s\"" : "%ld");
      keyVars.push_back(localRef(k));
      line(localRef(k) + " = " + (k->type == Type::String ? "\"\"" : "0") + ";");
    }
    format += "]";
    std::string call;
    if (g->type == Type::Stats) {
      std::string keys;
      for (size_t i = 0; i < keyVars.size(); ++i) keys += (i ? ", " : "") + keyVars[i];
      format += " @count=%ld @min=%ld @max=%ld @sum=%ld @avg=%ld\n";
      call = "printf(" + btString(format) + ", " + joinList(keyVars) + ", " + name + "__count[" + keys + "], " +
             name + "__min[" + keys + "], " + name + "__max[" + keys + "], " + name + "__sum[" + keys + "], " +
             signedDivision(true, name + "__sum[" + keys + "]", name + "__count[" + keys + "]") + ")";
    } else {
      Symbol* v = prog_.newSymbol(sema::SymbolKind::Local, "__value", g->declLoc);
      v->type = g->type;
      auto* vv = ctx_.ast.make<Variable>(g->declLoc, v->name);
      prog_.symbols[vv] = v;
      f->value = vv;
      bool interned = g->type == Type::String && strings_.isInterned(g);
      if (interned) strings_.symbols.insert(v);
      line(localRef(v) + " = " + (g->type == Type::String && !interned ? "\"\"" : "0") + ";");
      format += g->type == Type::String ? "=\"%s\"\n" : "=%ld\n";
      call = "printf(" + btString(format) + ", " + joinList(keyVars) + ", " +
             (interned ? "@__str[" + localRef(v) + "]" : localRef(v)) + ")";
    }
    f->body = ctx_.ast.make<Block>(g->declLoc);
    rawBody_ = call + ";";
    foreach(f);
    rawBody_.clear();
  }

  static std::string joinList(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
  }

  void clearMaps() {
    std::vector<std::string> names;
    for (const Symbol* g : prog_.globals) {
      std::string n = "@" + mangle(g->name);
      if (g->type == Type::Stats) {
        for (const char* s : {"__count", "__sum", "__min", "__max"}) names.push_back(n + s);
      } else if (g->read || g->written) {
        names.push_back(n);
      }
      if (survey_.keyLogged.count(g)) {
        names.push_back(n + "__slot");
        names.push_back(n + "__key");
        names.push_back(n + "__n");
      }
    }
    if (survey_.exitCalled) names.push_back("@__exit");
    names.push_back("@__error");
    for (const std::string& t : tableNames()) names.push_back(t);
    for (const std::string& n : seenMaps_) names.push_back(n);
    for (const std::string& n : names) {
      bool scalar = n == "@__exit" || n == "@__error" || (n.size() > 3 && n.compare(n.size() - 3, 3, "__n") == 0);
      line((scalar ? "delete(" : "clear(") + n + ");");
    }
  }

  std::vector<std::string> tableNames() {
    std::set<std::string> out;
    for (const std::string& l : tableLines_) out.insert(l.substr(0, l.find('[')));
    if (strings_.values.size() > 1) {
      out.insert("@__str");
      out.insert("@__rank");
    }
    if (needLengths_) out.insert("@__strlen");
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
    bool any = false;
    for (const Symbol* g : prog_.globals) {
      if (!g->read && !g->written) continue;
      std::string name = "@" + mangle(g->name);
      if (!any) out << "  // Map types: signed integers (see typePreamble)\n";
      any = true;
      if (g->type == Type::Stats) {
        for (const char* s : {"__count", "__sum", "__min", "__max"}) typed(name + s, g->keyTypes, "0");
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
    for (const std::string& seen : seenMaps_) typed(seen, {Type::Long}, "0");
    if (survey_.exitCalled) typed("@__exit", {}, "0");
    typed("@__error", {}, "0");
    return out.str();
  }

  void unsupported(const Node* n, const std::string& what) {
    ctx_.diags.error(n ? n->loc : SourceLocation{},
                     what + " is not supported by the bpftrace backend; use --target=c");
  }

 public:
  // Inserts the intern tables into BEGIN once all expressions have been emitted (tables
  // are discovered while emitting).
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
  std::string rawBody_;  // when set, foreach() writes this line as its body (auto-print)
  const DerivedProbe* probe_ = nullptr;
  std::map<const Symbol*, std::string> localNames_;
  std::map<std::string, int> usedLocalNames_;
  std::vector<std::function<void()>> continueSteps_;
  std::vector<std::string> tableLines_;
  std::vector<std::string> seenMaps_;
};

}  // namespace

std::string emit(passes::PassContext& ctx, const Options& options) {
  Emitter e(ctx, options);
  std::string text = e.run();
  if (text.empty()) return text;
  return e.finish(text);
}

}  // namespace stp2bpf::backends::bpftrace
