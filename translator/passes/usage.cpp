// Usage analysis, after types:
//  * which globals are read and which are written;
//  * SystemTap's auto-print rule: a global the script writes but never reads is printed
//    when the session ends;
//  * dead stores: an assignment to a local that is never read, with no side effects on the
//    right, is removed (alias prologues set many variables a probe body never uses, e.g.
//    argstr for syscalls; SystemTap elides them too).
#include <algorithm>
#include <optional>
#include <set>

#include "ast/visitor.h"
#include "passes/pass_manager.h"
#include "tapset/builtins.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::Symbol;

// Records reads and writes of symbols.  A symbol is "read" when its value is used.  As
// statements, `x = v`, `x op= v`, `x <<< v`, `x++` and `delete x` only write x, as in
// SystemTap (so `count[k]++` alone gets `count` auto-printed); used as values, `x++` and
// `x op= v` read x too (`P += k++` reads k).
class AccessCollector : public Visitor {
 public:
  using Visitor::visit;
  explicit AccessCollector(const sema::Program& prog) : prog_(prog) {}
  std::set<const Symbol*> read, written;

  void visit(Variable& n) override { mark(&n, true); }
  void visit(ArrayIndex& n) override {
    if (!as<Histogram>(n.base)) mark(n.base, true);
    else visit(n.base);
    for (Expr* i : n.indices) visit(i);
  }
  void visit(ExprStmt& n) override {
    if (auto* i = as<IncDec>(n.expr)) {
      writeTarget(i->operand);
    } else if (auto* a = as<Assignment>(n.expr)) {
      writeTarget(a->target);
      visit(a->value);
    } else {
      visit(n.expr);
    }
  }
  void visit(Assignment& n) override {
    writeTarget(n.target);
    if (n.op != AssignOp::Assign && n.op != AssignOp::Aggregate) visit(n.target);
    visit(n.value);
  }
  void visit(IncDec& n) override {
    writeTarget(n.operand);
    visit(n.operand);
  }
  void visit(DeleteStmt& n) override { writeTarget(n.target); }
  void visit(ForeachStmt& n) override {
    if (!as<Histogram>(n.array)) mark(n.array, true);
    else visit(n.array);
    for (Variable* k : n.keys) mark(k, false);
    if (n.value) mark(n.value, false);
    for (Expr* s : n.slice) visit(s);
    visit(n.limit);
    visit(n.body);
  }
  void visit(TryStmt& n) override {
    visit(n.body);
    if (n.catchVar) mark(n.catchVar, false);
    visit(n.handler);
  }

 private:
  void mark(const Node* n, bool isRead) {
    if (const Symbol* s = prog_.symbolOf(n)) (isRead ? read : written).insert(s);
  }
  void writeTarget(Expr* t) {
    if (auto* a = as<ArrayIndex>(t)) {
      mark(a->base, false);
      for (Expr* i : a->indices) visit(i);
    } else if (as<Variable>(t)) {
      mark(t, false);
    } else {
      visit(t);
    }
  }
  const sema::Program& prog_;
};

// True if evaluating `e` can change anything or has to happen (calls with effects,
// assignments, ++/--, printing, reads of user memory that may fault are kept too).
// Inside a function body (`locals` set), assignments to the function's own locals are
// not effects.
class SideEffects : public Visitor {
 public:
  using Visitor::visit;
  SideEffects(const sema::Program& prog, const std::set<const sema::Function*>& pure,
              const std::vector<Symbol*>* locals = nullptr)
      : prog_(prog), pure_(pure), locals_(locals) {}
  bool found = false;
  void visit(Assignment& n) override {
    if (!isOwnLocal(n.target)) found = true;
    Visitor::visit(n);
  }
  void visit(IncDec& n) override {
    if (!isOwnLocal(n.operand)) found = true;
    Visitor::visit(n);
  }
  void visit(DeleteStmt&) override { found = true; }
  void visit(PrintCall& n) override {
    if (!printKindReturnsString(n.printKind)) found = true;
    Visitor::visit(n);
  }
  void visit(FunctionCall& n) override {
    auto it = prog_.calls.find(&n);
    if (it == prog_.calls.end() ||
        (it->second.function && !pure_.count(it->second.function)) ||
        (it->second.builtin && tapset::has(it->second.builtin->flags, tapset::BuiltinFlag::SideEffect)))
      found = true;
    Visitor::visit(n);
  }
  void visit(EmbeddedExpr&) override { found = true; }

 private:
  bool isOwnLocal(const Expr* target) const {
    if (!locals_ || !as<Variable>(target)) return false;
    const Symbol* s = prog_.symbolOf(target);
    return s && std::find(locals_->begin(), locals_->end(), s) != locals_->end();
  }
  const sema::Program& prog_;
  const std::set<const sema::Function*>& pure_;
  const std::vector<Symbol*>* locals_;
};

// Functions whose calls can be dropped when their result is unused, as SystemTap's
// optimizer does: embedded-C functions the tapset marks `/* pure */`, and script
// functions that only compute (no global writes, no output, only pure calls).  A fixpoint
// from "every script function is pure", so mutual recursion is handled.
std::set<const sema::Function*> pureFunctions(const sema::Program& prog) {
  std::set<const sema::Function*> pure;
  for (const sema::Function* f : prog.functions) {
    if (f->embeddedC) {
      if (f->decl && f->decl->embedded && f->decl->embedded->code.find("/* pure */") != std::string::npos)
        pure.insert(f);
    } else if (f->body) {
      pure.insert(f);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const sema::Function* f : prog.functions) {
      if (f->embeddedC || !pure.count(f)) continue;
      SideEffects effects(prog, pure, &f->locals);
      effects.visit(f->body);
      if (effects.found) {
        pure.erase(f);
        changed = true;
      }
    }
  }
  return pure;
}

// Removes `local = pure-expression;` statements whose local is never read.
class DeadStoreRemover : public Visitor {
 public:
  using Visitor::visit;
  DeadStoreRemover(const sema::Program& prog, const std::set<const Symbol*>& read,
                   const std::set<const sema::Function*>& pure)
      : prog_(prog), read_(read), pure_(pure) {}
  bool removed = false;

  void visit(Block& b) override {
    std::vector<Stmt*> kept;
    for (Stmt* s : b.statements) {
      if (isDeadStore(s)) {
        removed = true;
        continue;
      }
      visit(s);
      kept.push_back(s);
    }
    b.statements = std::move(kept);
  }

 private:
  bool isDeadStore(Stmt* s) {
    auto* es = as<ExprStmt>(s);
    if (!es) return false;
    auto* a = as<Assignment>(es->expr);
    if (!a || a->op == AssignOp::Aggregate) return false;
    auto* v = as<Variable>(a->target);
    if (!v) return false;
    const Symbol* sym = prog_.symbolOf(v);
    if (!sym || sym->kind != sema::SymbolKind::Local || read_.count(sym)) return false;
    SideEffects effects(prog_, pure_);
    effects.visit(a->value);
    return !effects.found;
  }

  const sema::Program& prog_;
  const std::set<const Symbol*>& read_;
  const std::set<const sema::Function*>& pure_;
};

}  // namespace

void analyseUsage(PassContext& ctx) {
  sema::Program& prog = ctx.program;
  // Dead stores first (repeat: removing one can make another local unread).
  const std::set<const sema::Function*> pure = pureFunctions(prog);
  for (int round = 0; round < 16; ++round) {
    AccessCollector access(prog);
    for (auto& p : prog.probes) {
      access.visit(p.condition);
      access.visit(p.body);
    }
    for (auto* f : prog.functions) access.visit(f->body);
    bool removed = false;
    for (auto& p : prog.probes) {
      DeadStoreRemover remover(prog, access.read, pure);
      remover.visit(p.body);
      removed = removed || remover.removed;
    }
    if (!removed) break;
  }

  AccessCollector access(prog);
  for (auto& p : prog.probes) {
    access.visit(p.condition);
    access.visit(p.body);
  }
  for (auto* f : prog.functions) access.visit(f->body);
  for (Symbol* g : prog.globals) {
    g->read = access.read.count(g) > 0;
    g->written = access.written.count(g) > 0 || g->init;
    if (g->written && !g->read && !g->fromTapset && g->type != ast::Type::Unknown)
      prog.autoPrint.push_back(g);
  }
  // Calls that survived dead-code removal must be translatable: embedded-C functions are
  // not (unless stp2bpf implements them as builtins, which resolution already preferred).
  class EmbeddedCalls : public Visitor {
   public:
    using Visitor::visit;
    EmbeddedCalls(PassContext& c) : ctx(c) {}
    // `if (0)` (a folded @probewrite, say) is dead: lowering drops it before any code is
    // written, so what it calls need not be translatable.
    void visit(IfStmt& n) override {
      std::optional<int64_t> c = constant(n.cond);
      if (!c) return Visitor::visit(n);
      Stmt* taken = *c ? n.thenStmt : n.elseStmt;
      if (taken) taken->accept(*this);
    }
    static std::optional<int64_t> constant(const Expr* e) {
      if (auto* n = as<NumberLiteral>(e)) return n->value;
      if (auto* u = as<Unary>(e); u && u->op == UnaryOp::Not) {
        auto v = constant(u->operand);
        if (v) return *v == 0 ? 1 : 0;
      }
      return std::nullopt;
    }
    void visit(FunctionCall& n) override {
      Visitor::visit(n);
      auto it = ctx.program.calls.find(&n);
      if (it == ctx.program.calls.end() || !it->second.function) return;
      const sema::Function* f = it->second.function;
      if (!f->embeddedC) {
        // Only functions still called are checked (dead stores took some calls away).
        if (f->body && reached.insert(f).second) visit(f->body);
        return;
      }
      if (!reported.insert(f).second) return;
      Diagnostic& d = ctx.diags.error(n.loc, "function '" + n.name + "' is written in embedded C, "
                                             "which BPF cannot run, and stp2bpf has no implementation of it");
      Diagnostics::note(d, f->decl->loc, "'" + n.name + "' is defined here");
    }
    PassContext& ctx;
    std::set<const sema::Function*> reported, reached;
  } embedded(ctx);
  for (auto& p : prog.probes) {
    embedded.visit(p.condition);
    embedded.visit(p.body);
  }

  // Locals that were only ever stored to are gone; drop them from the symbol lists.
  for (auto& p : prog.probes) {
    std::vector<Symbol*> live;
    for (Symbol* s : p.locals)
      if (access.read.count(s) || access.written.count(s)) live.push_back(s);
    p.locals = std::move(live);
  }
}

}  // namespace stp2bpf::passes
