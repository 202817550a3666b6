// Side effects out of expressions, in SystemTap's evaluation order, and script functions
// inlined (see lower.h for the shape this leaves).
//
// Order rules (those of SystemTap's generated C): operands left to right; for an array
// assignment `A[k] = v` the keys are evaluated before the value; the value of an
// assignment is the stored value; `x++` yields the old value.  When an operand evaluated
// later writes a variable an earlier operand read, the earlier value is first copied into
// a temporary ("snapshot"), so e.g. `Z[j] = Z[j-- - 12]` stores into the old Z[j].
#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <set>

#include "ast/clone.h"
#include "ast/visitor.h"
#include "passes/lower.h"
#include "tapset/builtins.h"
#include "tapset/kernel_info.h"

namespace stp2bpf::passes {

using namespace ast;
using sema::Function;
using sema::Symbol;
using sema::SymbolKind;

// ---------------------------------------------------------------- effect analysis

namespace {

// The symbols an expression may write, and whether it may do anything else observable.
struct EffectSummary {
  std::set<const Symbol*> writes;
  bool anything = false;     // any side effect at all
  bool unknownWrites = false;  // calls a script function: may write any global
};

class EffectCollector : public Visitor {
 public:
  using Visitor::visit;
  EffectCollector(const sema::Program& prog, EffectSummary& out) : prog_(prog), out_(out) {}
  void visit(Assignment& n) override {
    out_.anything = true;
    target(n.target);
    Visitor::visit(n);
  }
  void visit(IncDec& n) override {
    out_.anything = true;
    target(n.operand);
    Visitor::visit(n);
  }
  void visit(PrintCall& n) override {
    if (!printKindReturnsString(n.printKind)) out_.anything = true;
    Visitor::visit(n);
  }
  void visit(FunctionCall& n) override {
    auto it = prog_.calls.find(&n);
    if (it == prog_.calls.end() || it->second.function) {
      out_.anything = out_.unknownWrites = true;
    } else if (it->second.builtin && tapset::has(it->second.builtin->flags, tapset::BuiltinFlag::SideEffect)) {
      out_.anything = true;
    }
    Visitor::visit(n);
  }

 private:
  void target(Expr* t) {
    if (auto* a = as<ArrayIndex>(t)) t = a->base;
    if (const Symbol* s = prog_.symbolOf(t)) out_.writes.insert(s);
  }
  const sema::Program& prog_;
  EffectSummary& out_;
};

EffectSummary effectsOf(const sema::Program& prog, const Expr* e) {
  EffectSummary s;
  if (e) {
    EffectCollector c(prog, s);
    c.visit(const_cast<Expr*>(e));
  }
  return s;
}

// The symbols an expression reads.
class ReadCollector : public Visitor {
 public:
  using Visitor::visit;
  ReadCollector(const sema::Program& prog, std::set<const Symbol*>& out) : prog_(prog), out_(out) {}
  void visit(Variable& n) override {
    if (const Symbol* s = prog_.symbolOf(&n)) out_.insert(s);
  }
  void visit(ArrayIndex& n) override {
    if (const Symbol* s = prog_.symbolOf(n.base)) out_.insert(s);
    Visitor::visit(n);
  }
  void visit(StatOp& n) override {
    Expr* o = n.operand;
    if (auto* a = as<ArrayIndex>(o)) o = a->base;
    if (const Symbol* s = prog_.symbolOf(o)) out_.insert(s);
    Visitor::visit(n);
  }
  void visit(ArrayIn& n) override { visit(n.element); }

 private:
  const sema::Program& prog_;
  std::set<const Symbol*>& out_;
};

bool isConstant(const Expr* e) { return as<NumberLiteral>(e) || as<StringLiteral>(e); }

// Collects every node of a subtree in a fixed order (for copying side tables to a clone).
class NodeList : public Visitor {
 public:
  using Visitor::visit;
  std::vector<Node*> nodes;
  void add(Node* n) { nodes.push_back(n); }
#define X(name)                   \
  void visit(name& n) override {  \
    add(&n);                      \
    Visitor::visit(n);            \
  }
  AST_NODE_KINDS(X)
#undef X
};

}  // namespace

bool hasSideEffects(const sema::Program& prog, const Expr* e) { return effectsOf(prog, e).anything; }

namespace {

constexpr int kMaxInlineDepth = 64;

class Lowerer {
 public:
  explicit Lowerer(PassContext& ctx) : ctx_(ctx), prog_(ctx.program) {}

  void run() {
    if (ctx_.keepFunctionCalls) chooseCalledFunctions();
    for (sema::DerivedProbe& p : prog_.probes) {
      probe_ = &p;
      locals_ = &p.locals;
      p.body = lowerBlock(p.body);
      if (p.condition) {
        std::vector<Stmt*> pre;
        out_ = &pre;
        p.condition = value(p.condition);
        if (!pre.empty())
          ctx_.diags.error(p.condition->loc, "a probe condition cannot have side effects");
      }
    }
    // The bodies of the functions that stay functions, as they are reached.
    probe_ = nullptr;
    for (size_t i = 0; i < toLower_.size(); ++i) {
      Function* f = toLower_[i];
      locals_ = &f->locals;
      inFunction_ = f;
      f->body = lowerBlock(f->body);
      inFunction_ = nullptr;
      prog_.calledFunctions.push_back(f);
    }
  }

  // With BPF-to-BPF calls (the C backend), functions stay functions, except where the
  // kernel's limit of 8 call frames would be exceeded: a function whose calls nest
  // deeper than kMaxCallHeight below it is inlined at its call sites instead (its own
  // calls then count from its caller).  Recursive functions are reported, as BPF has no
  // recursion.
  void chooseCalledFunctions() {
    std::map<Function*, std::set<Function*>> callees;
    std::set<Function*> readsProbeText;  // calls pp(), ppfunc() or probefunc() itself
    for (Function* f : prog_.functions) {
      if (!f->body) continue;
      struct Calls : Visitor {
        using Visitor::visit;
        const sema::Program& prog;
        std::set<Function*>& out;
        bool probeText = false;
        Calls(const sema::Program& p, std::set<Function*>& o) : prog(p), out(o) {}
        void visit(FunctionCall& c) override {
          auto it = prog.calls.find(&c);
          bool script = it != prog.calls.end() && it->second.function && it->second.function->body;
          if (script) out.insert(it->second.function);
          // Builtins whose value is the running probe's (its text, kind or stack).
          static const std::set<std::string> kOfTheProbe = {"pp",        "ppfunc",          "probefunc",  "is_return",
                                                            "backtrace", "print_backtrace", "__stack_raw"};
          if (!script && kOfTheProbe.count(c.name)) probeText = true;
          Visitor::visit(c);
        }
      } calls(prog_, callees[f]);
      calls.visit(f->body);
      if (calls.probeText) readsProbeText.insert(f);
    }
    // The probe's own text (pp() and friends, is_return()) is a constant of each probe, and
    // its stack (backtrace()) needs the program's context: a BPF subprogram shared by
    // several probes has neither, so functions that read them, directly or through their
    // calls, are inlined into their callers.
    std::function<bool(Function*, std::set<Function*>&)> reaches = [&](Function* f, std::set<Function*>& seen) {
      if (readsProbeText.count(f)) return true;
      if (!seen.insert(f).second) return false;
      for (Function* g : callees[f])
        if (reaches(g, seen)) return true;
      return false;
    };
    std::set<Function*> needsProbe;
    for (Function* f : prog_.functions) {
      std::set<Function*> seen;
      if (f->body && reaches(f, seen)) needsProbe.insert(f);
    }
    // Recursive groups (strongly connected components of the call graph, Tarjan).
    std::map<Function*, int> index, low, group;
    std::vector<Function*> stack;
    std::set<Function*> onStack;
    int counter = 0, groups = 0;
    std::function<void(Function*)> connect = [&](Function* f) {
      index[f] = low[f] = counter++;
      stack.push_back(f);
      onStack.insert(f);
      for (Function* g : callees[f]) {
        if (!index.count(g)) {
          connect(g);
          low[f] = std::min(low[f], low[g]);
        } else if (onStack.count(g)) {
          low[f] = std::min(low[f], index[g]);
        }
      }
      if (low[f] != index[f]) return;
      std::vector<Function*> members;
      Function* g;
      do {
        g = stack.back();
        stack.pop_back();
        onStack.erase(g);
        group[g] = groups;
        members.push_back(g);
      } while (g != f);
      bool recursive = members.size() > 1 || callees[f].count(f);
      if (recursive)
        for (Function* m : members) prog_.recursionGroup[m] = groups;
      ++groups;
    };
    for (Function* f : prog_.functions)
      if (f->body && !index.count(f)) connect(f);

    // Heights: a kept function needs one frame more than its calls; a recursive group
    // gets as many copies (one per nesting level) as the frames left allow, up to
    // MAXNESTING, and is always kept (inlining cannot unroll recursion).
    std::map<Function*, int> height;  // kept: frames it needs; inlined: those of its calls
    std::function<int(Function*)> heightOf = [&](Function* f) -> int {
      auto it = height.find(f);
      if (it != height.end()) return it->second;
      auto rec = prog_.recursionGroup.find(f);
      if (rec != prog_.recursionGroup.end()) {
        height[f] = 0;  // while computing the group
        int below = 0;
        for (Function* m : prog_.functions)
          if (prog_.recursionGroup.count(m) && prog_.recursionGroup[m] == rec->second)
            for (Function* g : callees[m])
              if (!prog_.recursionGroup.count(g) || prog_.recursionGroup[g] != rec->second)
                below = std::max(below, heightOf(g));
        int copies = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(ctx_.limits.maxNesting, kMaxCallHeight - below)));
        prog_.recursionCopies[rec->second] = copies;
        called_.insert(f);
        return height[f] = below + copies;
      }
      int below = 0;
      for (Function* g : callees[f]) below = std::max(below, heightOf(g));
      bool keep = below + 1 <= kMaxCallHeight && !needsProbe.count(f);
      if (keep) called_.insert(f);
      return height[f] = keep ? below + 1 : below;
    };
    for (Function* f : prog_.functions)
      if (f->body) heightOf(f);
  }

  static constexpr int kMaxCallHeight = 6;  // the program's own frame, 6 calls, and a spare

  // A call that stays a call: its arguments pure, its value in a temporary.
  Expr* keepCall(FunctionCall* c, Function* f, bool wantValue) {
    values(c->args);
    if (std::find(toLower_.begin(), toLower_.end(), f) == toLower_.end()) toLower_.push_back(f);
    if (f->returnType != Type::Long && f->returnType != Type::String) {
      emitExpr(c);
      return number(0, c->loc);
    }
    if (!wantValue) {
      emitExpr(c);
      return nullptr;
    }
    Symbol* t = newLocal(f->name + "_result_", f->returnType, c->loc);
    emitExpr(assign(ref(t, c->loc), c));
    return ref(t, c->loc);
  }

 private:
  // ---------------------------------------------------------------- helpers

  void emit(Stmt* s) { out_->push_back(s); }
  void emitExpr(Expr* e) { emit(ctx_.ast.make<ExprStmt>(e->loc, e)); }

  Variable* ref(Symbol* s, const SourceLocation& loc) {
    auto* v = ctx_.ast.make<Variable>(loc, s->name);
    v->type = s->type;
    prog_.symbols[v] = s;
    return v;
  }

  Symbol* newLocal(const std::string& base, Type t, const SourceLocation& loc) {
    std::string name = "__" + base + std::to_string(++counter_);
    Symbol* s = prog_.newSymbol(SymbolKind::Local, name, loc);
    s->type = t;
    locals_->push_back(s);
    return s;
  }

  NumberLiteral* number(int64_t v, const SourceLocation& loc) {
    auto* n = ctx_.ast.make<NumberLiteral>(loc, v);
    n->type = Type::Long;
    return n;
  }

  // Copies `e` into a temporary unless it is a constant.
  Expr* snapshot(Expr* e) {
    if (isConstant(e)) return e;
    Symbol* t = newLocal("tmp", e->type, e->loc);
    emitExpr(assign(ref(t, e->loc), e));
    return ref(t, e->loc);
  }

  Assignment* assign(Expr* target, Expr* v, AssignOp op = AssignOp::Assign) {
    auto* a = ctx_.ast.make<Assignment>(v->loc, op, target, v);
    a->type = target->type;
    return a;
  }

  // A fresh read of an lvalue whose keys are already pure.
  Expr* reread(Expr* target) {
    if (auto* v = as<Variable>(target)) return ref(prog_.symbolOf(v), v->loc);
    if (auto* a = as<ArrayIndex>(target)) {
      std::vector<Expr*> keys;
      for (Expr* k : a->indices) keys.push_back(k ? clone(ctx_.ast, k) : nullptr);
      copyBindings(a->indices, keys);
      auto* r = ctx_.ast.make<ArrayIndex>(a->loc, a->base, keys);
      r->type = a->type;
      return r;
    }
    return clone(ctx_.ast, target);
  }

  // Copies symbol and call bindings from original nodes to their clones.
  void copyBindings(const std::vector<Expr*>& from, const std::vector<Expr*>& to) {
    for (size_t i = 0; i < from.size(); ++i)
      if (from[i]) copyBindings(from[i], to[i], {});
  }
  void copyBindings(Node* from, Node* to, const std::map<const Symbol*, Symbol*>& remap) {
    NodeList a, b;
    a.visit(from);
    b.visit(to);
    for (size_t i = 0; i < a.nodes.size() && i < b.nodes.size(); ++i) {
      auto s = prog_.symbols.find(a.nodes[i]);
      if (s != prog_.symbols.end()) {
        auto r = remap.find(s->second);
        prog_.symbols[b.nodes[i]] = r != remap.end() ? r->second : s->second;
      }
      if (auto* call = as<FunctionCall>(a.nodes[i])) {
        auto c = prog_.calls.find(call);
        if (c != prog_.calls.end()) prog_.calls[static_cast<FunctionCall*>(b.nodes[i])] = c->second;
      }
    }
    // Target accesses (@cast in a function body) point at their operand and index
    // expressions: the copy points at the copies.
    std::map<const Node*, Node*> copyOf;
    for (size_t i = 0; i < a.nodes.size() && i < b.nodes.size(); ++i) copyOf[a.nodes[i]] = b.nodes[i];
    auto mapped = [&](Expr* e) -> Expr* {
      auto it = e ? copyOf.find(e) : copyOf.end();
      return it == copyOf.end() ? e : static_cast<Expr*>(it->second);
    };
    for (size_t i = 0; i < a.nodes.size() && i < b.nodes.size(); ++i) {
      auto t = prog_.targets.find(a.nodes[i]);
      if (t == prog_.targets.end()) continue;
      sema::TargetAccess access = t->second;
      access.castOperand = mapped(access.castOperand);
      for (sema::TargetStep& step : access.steps) step.index = mapped(step.index);
      prog_.targets[b.nodes[i]] = access;
    }
  }

  // True if running `later` could change what `earlier` reads.
  bool interferes(const Expr* earlier, const Expr* later) {
    if (!later || isConstant(earlier)) return false;
    EffectSummary eff = effectsOf(prog_, later);
    if (!eff.anything) return false;
    std::set<const Symbol*> reads;
    ReadCollector rc(prog_, reads);
    rc.visit(const_cast<Expr*>(earlier));
    if (eff.unknownWrites) {
      for (const Symbol* s : reads)
        if (s->kind == SymbolKind::Global) return true;
    }
    for (const Symbol* s : reads)
      if (eff.writes.count(s)) return true;
    return false;
  }

  // Lowers a list of operands left to right, snapshotting earlier ones that later ones
  // could change.
  void values(std::vector<Expr*>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i]) continue;
      list[i] = value(list[i]);
      for (size_t j = i + 1; j < list.size(); ++j)
        if (list[j] && interferes(list[i], list[j])) {
          list[i] = snapshot(list[i]);
          break;
        }
    }
  }

  // ---------------------------------------------------------------- statements

  Block* lowerBlock(Block* b) {
    auto* out = ctx_.ast.make<Block>(b->loc);
    std::vector<Stmt*>* saved = out_;
    out_ = &out->statements;
    for (Stmt* s : b->statements) statement(s);
    out_ = saved;
    return out;
  }

  // Lowers a statement into a block of its own (for if/loop bodies).
  Block* lowerInto(Stmt* s) {
    auto* out = ctx_.ast.make<Block>(s ? s->loc : SourceLocation{});
    if (!s) return out;
    std::vector<Stmt*>* saved = out_;
    out_ = &out->statements;
    statement(s);
    out_ = saved;
    return out;
  }

  void statement(Stmt* s) {
    switch (s->kind) {
      case Kind::Block: {
        Block* b = lowerBlock(static_cast<Block*>(s));
        if (!b->statements.empty()) emit(b);
        break;
      }
      case Kind::NullStmt: break;
      case Kind::ExprStmt: effect(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        Expr* c = value(i->cond);
        if (auto* n = as<NumberLiteral>(c)) {  // `if (0)` after @defined folding, etc.
          Stmt* taken = n->value ? i->thenStmt : i->elseStmt;
          if (taken) emit(lowerInto(taken));
          break;
        }
        Block* then = lowerInto(i->thenStmt);
        Block* otherwise = i->elseStmt ? lowerInto(i->elseStmt) : nullptr;
        emit(ctx_.ast.make<IfStmt>(i->loc, c, then, otherwise));
        break;
      }
      case Kind::ForStmt: loop(static_cast<ForStmt*>(s)); break;
      case Kind::ForeachStmt: foreach(static_cast<ForeachStmt*>(s)); break;
      case Kind::DeleteStmt: {
        auto* d = static_cast<DeleteStmt*>(s);
        if (auto* a = as<ArrayIndex>(d->target)) values(a->indices);
        emit(d);
        break;
      }
      case Kind::ReturnStmt: returnStatement(static_cast<ReturnStmt*>(s)); break;
      case Kind::TryStmt: {
        auto* t = static_cast<TryStmt*>(s);
        t->body = lowerBlock(t->body);
        t->handler = lowerBlock(t->handler);
        emit(t);
        break;
      }
      default: emit(s); break;  // next, break, continue
    }
  }

  void loop(ForStmt* f) {
    // Analyse before lowering: lowering rewrites the original expressions in place.
    int64_t n = countingLoopIterations(f);
    if (f->init) effect(f->init);
    auto* body = ctx_.ast.make<Block>(f->body->loc);
    std::vector<Stmt*>* saved = out_;
    out_ = &body->statements;
    if (f->cond) {
      Expr* c = value(f->cond);
      auto* notC = ctx_.ast.make<Unary>(c->loc, UnaryOp::Not, c);
      notC->type = Type::Long;
      auto* exit = ctx_.ast.make<Block>(c->loc);
      exit->statements.push_back(ctx_.ast.make<BreakStmt>(c->loc));
      emit(ctx_.ast.make<IfStmt>(c->loc, notC, exit, nullptr));
    }
    statement(f->body);
    out_ = saved;
    Block* step = nullptr;
    if (f->step) {
      step = ctx_.ast.make<Block>(f->step->loc);
      out_ = &step->statements;
      effect(f->step);
      out_ = saved;
    }
    auto* lp = ctx_.ast.make<LoopStmt>(f->loc, body, step);
    lp->origin = f->isWhile ? "while" : "for";
    if (n >= 0 && n < ctx_.limits.maxAction) {
      lp->bound = n + 1;  // n passes through the body, then the exit test
      lp->boundIsExact = true;
    } else {
      lp->bound = ctx_.limits.maxAction;
    }
    emit(lp);
    breakIfReturned(f->body);
  }

  // After a loop inside an inlined function whose body returns from within it: leave the
  // function's one-pass loop too.
  void breakIfReturned(Stmt* originalBody) {
    if (inlineStack_.empty() || !inlineStack_.back().returned || !containsReturn(originalBody)) return;
    Symbol* flag = inlineStack_.back().returned;
    auto* leave = ctx_.ast.make<Block>(originalBody->loc);
    leave->statements.push_back(ctx_.ast.make<BreakStmt>(originalBody->loc));
    emit(ctx_.ast.make<IfStmt>(originalBody->loc, ref(flag, originalBody->loc), leave, nullptr));
  }

  // Iterations of a counting loop `for (i = A; i <op> B; i++ / i-- / i += k / i -= k)` whose
  // body does not write i (A, B, k literals), and of `for (i = A; i--; )` /
  // `for (i = A; --i && ...; )` with a body that does not write i.  -1 if unknown.
  int64_t countingLoopIterations(ForStmt* f) {
    auto* init = as<Assignment>(f->init);
    if (!init || init->op != AssignOp::Assign) return -1;
    // `for (K = t = P = i = 0; ...)`: the innermost assignment of a chain sets the counter.
    while (auto* inner = as<Assignment>(init->value)) {
      if (inner->op != AssignOp::Assign) return -1;
      init = inner;
    }
    auto* counter = as<Variable>(init->target);
    auto* start = as<NumberLiteral>(init->value);
    if (!counter || !start || !f->cond) return -1;
    const Symbol* sym = prog_.symbolOf(counter);
    if (!sym) return -1;
    auto isCounter = [&](const Expr* e) { return as<Variable>(e) && prog_.symbolOf(e) == sym; };
    EffectSummary body = statementEffects(f->body);
    if (body.writes.count(sym) || (body.unknownWrites && sym->kind == SymbolKind::Global)) return -1;

    // Decrement in the condition: `i--` or `--i && rest`.
    const Expr* cond = f->cond;
    if (auto* b = as<Binary>(cond); b && b->op == BinaryOp::LogicalAnd) cond = b->left;
    if (auto* d = as<IncDec>(cond); d && !d->increment && isCounter(d->operand) && !f->step) {
      int64_t a = start->value;
      if (a < 0) return -1;
      return d->prefix ? std::max<int64_t>(a - 1, 0) : a;
    }

    auto* cmp = as<Binary>(f->cond);
    if (!cmp || !isComparison(cmp->op) || !isCounter(cmp->left)) return -1;
    auto* limit = as<NumberLiteral>(cmp->right);
    if (!limit) return -1;
    int64_t step = 0;
    if (auto* d = as<IncDec>(f->step); d && isCounter(d->operand)) step = d->increment ? 1 : -1;
    if (auto* a = as<Assignment>(f->step); a && isCounter(a->target)) {
      auto* k = as<NumberLiteral>(a->value);
      if (!k || k->value <= 0) return -1;
      if (a->op == AssignOp::Add) step = k->value;
      if (a->op == AssignOp::Sub) step = -k->value;
    }
    if (step == 0) return -1;
    int64_t a = start->value, b = limit->value;
    // Number of i in the sequence a, a+step, ... satisfying the comparison.
    __int128 span;
    switch (cmp->op) {
      case BinaryOp::Lt: if (step < 0) return -1; span = (__int128)b - a; break;
      case BinaryOp::Le: if (step < 0) return -1; span = (__int128)b - a + 1; break;
      case BinaryOp::Gt: if (step > 0) return -1; span = (__int128)a - b; break;
      case BinaryOp::Ge: if (step > 0) return -1; span = (__int128)a - b + 1; break;
      default: return -1;
    }
    if (span <= 0) return 0;
    __int128 mag = step < 0 ? -(__int128)step : step;
    __int128 n = (span + mag - 1) / mag;
    return n > INT64_MAX / 2 ? -1 : static_cast<int64_t>(n);
  }

  EffectSummary statementEffects(Stmt* s) {
    EffectSummary out;
    EffectCollector c(prog_, out);
    c.visit(s);
    return out;
  }

  void foreach(ForeachStmt* f) {
    for (Expr*& s : f->slice)
      if (s) s = snapshot(value(s));
    if (f->limit) f->limit = snapshot(value(f->limit));
    Stmt* original = f->body;
    f->body = lowerInto(f->body);
    emit(f);
    breakIfReturned(original);
  }

  // ---------------------------------------------------------------- expressions

  // Evaluates `e` for its effects only.
  void effect(Expr* e) {
    switch (e->kind) {
      case Kind::Assignment: {
        auto* a = static_cast<Assignment*>(e);
        Expr* target = lvalue(a->target, a->value);
        Expr* v = value(a->value);
        emitExpr(assign(target, v, a->op));
        return;
      }
      case Kind::IncDec: {
        auto* i = static_cast<IncDec*>(e);
        auto* out = ctx_.ast.make<IncDec>(i->loc, i->increment, false, lvalue(i->operand, nullptr));
        out->type = Type::Long;
        emitExpr(out);
        return;
      }
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        Expr* c = value(t->cond);
        if (auto* n = as<NumberLiteral>(c)) {  // @choose_defined(a, b) after @defined folding
          effect(n->value ? t->thenExpr : t->elseExpr);
          return;
        }
        Block* then = effectBlock(t->thenExpr);
        Block* otherwise = effectBlock(t->elseExpr);
        if (then->statements.empty() && otherwise->statements.empty()) return;
        emit(ctx_.ast.make<IfStmt>(t->loc, c, then, otherwise->statements.empty() ? nullptr : otherwise));
        return;
      }
      case Kind::Binary: {
        auto* b = static_cast<Binary*>(e);
        if (b->op == BinaryOp::LogicalAnd || b->op == BinaryOp::LogicalOr) {
          Expr* l = value(b->left);
          Block* rest = effectBlock(b->right);
          if (rest->statements.empty()) return;
          Expr* c = l;
          if (b->op == BinaryOp::LogicalOr) {
            c = ctx_.ast.make<Unary>(l->loc, UnaryOp::Not, l);
            c->type = Type::Long;
          }
          emit(ctx_.ast.make<IfStmt>(b->loc, c, rest, nullptr));
          return;
        }
        effect(b->left);
        effect(b->right);
        return;
      }
      case Kind::FunctionCall: {
        auto* c = static_cast<FunctionCall*>(e);
        auto it = prog_.calls.find(c);
        if (it != prog_.calls.end() && it->second.function) {
          if (called_.count(it->second.function)) keepCall(c, it->second.function, false);
          else inlineCall(c, it->second.function, false);
          return;
        }
        values(c->args);
        if (hasSideEffects(prog_, c)) emitExpr(c);
        return;
      }
      case Kind::PrintCall: {
        auto* p = static_cast<PrintCall*>(e);
        values(p->args);
        if (!printKindReturnsString(p->printKind)) emitExpr(p);
        return;
      }
      default:
        // A pure expression statement has no effect: evaluate its parts for effects only.
        if (hasSideEffects(prog_, e)) (void)value(e);
        return;
    }
  }

  Block* effectBlock(Expr* e) {
    auto* b = ctx_.ast.make<Block>(e->loc);
    std::vector<Stmt*>* saved = out_;
    out_ = &b->statements;
    effect(e);
    out_ = saved;
    return b;
  }

  // Lowers an assignment target: its keys become pure (snapshotted if `later` could
  // change them).
  Expr* lvalue(Expr* target, Expr* later) {
    if (auto* a = as<ArrayIndex>(target)) {
      values(a->indices);
      for (Expr*& k : a->indices)
        if (k && interferes(k, later)) k = snapshot(k);
      return a;
    }
    if (auto* t = as<TargetExpr>(target)) return value(t);
    return target;
  }

  // Lowers `e` and returns a pure expression with the same value; effects are emitted.
  Expr* value(Expr* e) {
    switch (e->kind) {
      case Kind::NumberLiteral:
      case Kind::StringLiteral:
      case Kind::Variable:
        return e;
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        values(a->indices);
        return a;
      }
      case Kind::ArrayIn: {
        values(static_cast<ArrayIn*>(e)->element->indices);
        return e;
      }
      case Kind::StatOp: {
        auto* s = static_cast<StatOp*>(e);
        if (auto* a = as<ArrayIndex>(s->operand)) values(a->indices);
        return e;
      }
      case Kind::Histogram: {
        auto* h = static_cast<Histogram*>(e);
        if (auto* a = as<ArrayIndex>(h->operand)) values(a->indices);
        return e;
      }
      case Kind::FunctionCall: {
        auto* c = static_cast<FunctionCall*>(e);
        auto it = prog_.calls.find(c);
        if (it != prog_.calls.end() && it->second.function) {
          if (called_.count(it->second.function)) return keepCall(c, it->second.function, true);
          return inlineCall(c, it->second.function, true);
        }
        values(c->args);
        if (hasSideEffects(prog_, c)) {
          emitExpr(c);
          return number(0, c->loc);
        }
        return c;
      }
      case Kind::PrintCall: {
        auto* p = static_cast<PrintCall*>(e);
        values(p->args);
        if (printKindReturnsString(p->printKind)) return p;
        emitExpr(p);
        return number(0, p->loc);
      }
      case Kind::Unary: {
        auto* u = static_cast<Unary*>(e);
        u->operand = value(u->operand);
        // `!@defined(...)` and friends: folded, so that `if` can drop the dead branch.
        if (auto* n = as<NumberLiteral>(u->operand)) {
          uint64_t v = static_cast<uint64_t>(n->value);
          switch (u->op) {
            case UnaryOp::Not: return number(v == 0 ? 1 : 0, u->loc);
            case UnaryOp::Minus: return number(static_cast<int64_t>(0 - v), u->loc);
            case UnaryOp::BitNot: return number(static_cast<int64_t>(~v), u->loc);
            case UnaryOp::Plus: return n;
          }
        }
        return u;
      }
      case Kind::IncDec: {
        auto* i = static_cast<IncDec*>(e);
        Expr* target = lvalue(i->operand, nullptr);
        Expr* old = nullptr;
        if (!i->prefix) old = snapshot(reread(target));
        auto* step = ctx_.ast.make<IncDec>(i->loc, i->increment, false, target);
        step->type = Type::Long;
        emitExpr(step);
        return i->prefix ? reread(target) : old;
      }
      case Kind::Binary: {
        auto* b = static_cast<Binary*>(e);
        bool logical = b->op == BinaryOp::LogicalAnd || b->op == BinaryOp::LogicalOr;
        Expr* l = value(b->left);
        // A constant left operand (@defined folded) decides whether the right one runs at
        // all: `@defined(a) && a->b` must not resolve a->b where a does not exist.
        if (auto* n = as<NumberLiteral>(l); n && logical) {
          bool decided = b->op == BinaryOp::LogicalAnd ? n->value == 0 : n->value != 0;
          if (decided) return number(b->op == BinaryOp::LogicalAnd ? 0 : 1, b->loc);
          Expr* r = value(b->right);
          if (auto* rn = as<NumberLiteral>(r)) return number(rn->value != 0 ? 1 : 0, b->loc);
          return truth(r);
        }
        if (logical && hasSideEffects(prog_, b->right)) {
          // r = (l != 0); if (r) r = (right != 0)   -- or the negation for ||
          Symbol* r = newLocal("cond", Type::Long, b->loc);
          emitExpr(assign(ref(r, b->loc), truth(l)));
          Expr* c = ref(r, b->loc);
          if (b->op == BinaryOp::LogicalOr) {
            c = ctx_.ast.make<Unary>(b->loc, UnaryOp::Not, c);
            c->type = Type::Long;
          }
          auto* then = ctx_.ast.make<Block>(b->loc);
          std::vector<Stmt*>* saved = out_;
          out_ = &then->statements;
          emitExpr(assign(ref(r, b->loc), truth(value(b->right))));
          out_ = saved;
          emit(ctx_.ast.make<IfStmt>(b->loc, c, then, nullptr));
          return ref(r, b->loc);
        }
        if (interferes(l, b->right)) l = snapshot(l);
        b->left = l;
        b->right = value(b->right);
        return b;
      }
      case Kind::RegexMatch: {
        auto* r = static_cast<RegexMatch*>(e);
        r->subject = value(r->subject);
        return r;
      }
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        Expr* c = value(t->cond);
        // A constant condition (@choose_defined(a, b) once @defined is folded) keeps only
        // the branch taken: as in SystemTap, the other may name members this kernel lacks.
        if (auto* n = as<NumberLiteral>(c)) return value(n->value ? t->thenExpr : t->elseExpr);
        if (!hasSideEffects(prog_, t->thenExpr) && !hasSideEffects(prog_, t->elseExpr)) {
          t->cond = c;
          t->thenExpr = value(t->thenExpr);
          t->elseExpr = value(t->elseExpr);
          return t;
        }
        Symbol* r = newLocal("val", t->type, t->loc);
        auto branch = [&](Expr* x) {
          auto* blk = ctx_.ast.make<Block>(x->loc);
          std::vector<Stmt*>* saved = out_;
          out_ = &blk->statements;
          emitExpr(assign(ref(r, x->loc), value(x)));
          out_ = saved;
          return blk;
        };
        Block* then = branch(t->thenExpr);
        Block* otherwise = branch(t->elseExpr);
        emit(ctx_.ast.make<IfStmt>(t->loc, c, then, otherwise));
        return ref(r, t->loc);
      }
      case Kind::Assignment: {
        auto* a = static_cast<Assignment*>(e);
        Expr* target = lvalue(a->target, a->value);
        Expr* v = value(a->value);
        emitExpr(assign(target, v, a->op));
        if (a->op == AssignOp::Aggregate) return number(0, a->loc);
        return reread(target);
      }
      case Kind::TargetVariable:
      case Kind::CastOp:
      case Kind::AtVar:
      case Kind::AutoCast: {
        auto* t = static_cast<TargetExpr*>(e);
        for (auto& c : t->components)
          if (c.index) c.index = value(c.index);
        if (auto* cast = as<CastOp>(t)) cast->operand = value(cast->operand);
        if (auto* ac = as<AutoCast>(t)) ac->operand = value(ac->operand);
        return t;
      }
      case Kind::DefinedOp:
        return number(defined(static_cast<DefinedOp*>(e)->operand) ? 1 : 0, e->loc);
      case Kind::DerefOp: {
        auto* d = static_cast<DerefOp*>(e);
        d->address = value(d->address);
        return d;
      }
      default:
        return e;
    }
  }

  Expr* truth(Expr* e) {
    auto* ne = ctx_.ast.make<Binary>(e->loc, BinaryOp::Ne, e, number(0, e->loc));
    ne->type = Type::Long;
    return ne;
  }

  // @defined(expr): whether a target expression can be resolved in this probe.
  bool defined(Expr* operand) {
    // Resolved against BTF by the targets pass: @cast(p, "T")->member, $var->member, ...
    if (auto* t = as<TargetExpr>(operand)) {
      auto access = prog_.targets.find(t);
      if (access != prog_.targets.end()) return !access->second.unresolved;
    }
    auto* tv = as<TargetVariable>(operand);
    if (!tv || !probe_) return true;
    const sema::AttachPoint& p = probe_->point;
    std::string name = tv->name.substr(1);
    switch (p.kind) {
      case sema::ProbeKind::Tracepoint: {
        const tapset::TracepointFormat* fmt = ctx_.kernel.tracepointFormat(p.system, p.event);
        return fmt && fmt->field(name);
      }
      case sema::ProbeKind::KernelFunction:
      case sema::ProbeKind::UserFunction:
        if (name == "return") return p.isReturn;
        return true;  // parameters are checked against BTF by the backends
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- inlining

  struct InlineFrame {
    Function* function;
    Symbol* result;    // null for functions without a value
    Symbol* returned;  // set when the body needs the general return protocol
  };

  Expr* inlineCall(FunctionCall* call, Function* f, bool wantValue) {
    for (const InlineFrame& frame : inlineStack_)
      if (frame.function == f) {
        ctx_.diags.error(call->loc, "recursive call to '" + f->name + "': script functions are "
                                    "inlined for BPF, so recursion cannot be translated");
        return number(0, call->loc);
      }
    if (static_cast<int64_t>(inlineStack_.size()) >= std::min<int64_t>(ctx_.limits.maxNesting, kMaxInlineDepth)) {
      ctx_.diags.error(call->loc, "function calls nest deeper than MAXNESTING (" +
                                      std::to_string(ctx_.limits.maxNesting) + ") at '" + f->name + "'");
      return number(0, call->loc);
    }
    values(call->args);
    // Fresh symbols for this instance's parameters and locals.
    std::map<const Symbol*, Symbol*> remap;
    for (Symbol* s : f->locals) {
      Symbol* fresh = newLocal(f->name + "_" + s->name + "_", s->type, s->declLoc);
      remap[s] = fresh;
    }
    for (size_t i = 0; i < f->params.size() && i < call->args.size(); ++i)
      emitExpr(assign(ref(remap[f->params[i]], call->loc), call->args[i]));
    // Locals start at 0 / "" on every call.
    for (Symbol* s : f->locals) {
      if (s->kind == SymbolKind::Parameter) continue;
      Expr* zero = s->type == Type::String ? static_cast<Expr*>(ctx_.ast.make<StringLiteral>(call->loc, ""))
                                           : number(0, call->loc);
      zero->type = s->type == Type::String ? Type::String : Type::Long;
      if (s->type == Type::Long || s->type == Type::String) emitExpr(assign(ref(remap[s], call->loc), zero));
    }
    InlineFrame frame{f, nullptr, nullptr};
    if (f->returnType == Type::Long || f->returnType == Type::String) {
      frame.result = newLocal(f->name + "_result_", f->returnType, call->loc);
      Expr* zero = f->returnType == Type::String ? static_cast<Expr*>(ctx_.ast.make<StringLiteral>(call->loc, ""))
                                                 : number(0, call->loc);
      zero->type = f->returnType;
      emitExpr(assign(ref(frame.result, call->loc), zero));
    }
    Block* body = clone(ctx_.ast, f->body);
    copyBindings(f->body, body, remap);
    bool simple = returnsOnlyInTail(body->statements);
    if (!simple) frame.returned = newLocal(f->name + "_returned_", Type::Long, call->loc);
    inlineStack_.push_back(frame);
    if (simple) {
      std::vector<Stmt*>* saved = out_;
      auto* blk = ctx_.ast.make<Block>(body->loc);
      out_ = &blk->statements;
      for (Stmt* s : body->statements) statement(s);
      out_ = saved;
      if (!blk->statements.empty()) emit(blk);
    } else {
      // General returns: run the body in a one-pass loop; `return` sets the result and
      // the flag and breaks, and every loop inside breaks again while the flag is set.
      emitExpr(assign(ref(frame.returned, call->loc), number(0, call->loc)));
      Block* lowered = lowerBlock(body);
      lowered->statements.push_back(ctx_.ast.make<BreakStmt>(body->loc));
      auto* once = ctx_.ast.make<LoopStmt>(call->loc, lowered, nullptr);
      once->origin = "function";
      once->bound = 1;
      once->boundIsExact = true;
      emit(once);
    }
    inlineStack_.pop_back();
    if (!frame.result) return number(0, call->loc);
    return wantValue ? ref(frame.result, call->loc) : nullptr;
  }

  // True if every `return` is the last statement on its path (possibly inside the final
  // if/else branches), and none is inside a loop: then returns are plain assignments.
  bool returnsOnlyInTail(const std::vector<Stmt*>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      bool last = i + 1 == list.size();
      if (!tailOk(list[i], last)) return false;
    }
    return true;
  }
  bool tailOk(const Stmt* s, bool last) {
    switch (s->kind) {
      case Kind::ReturnStmt: return last;
      case Kind::Block: {
        const auto& st = static_cast<const Block*>(s)->statements;
        for (size_t i = 0; i < st.size(); ++i)
          if (!tailOk(st[i], last && i + 1 == st.size())) return false;
        return true;
      }
      case Kind::IfStmt: {
        auto* i = static_cast<const IfStmt*>(s);
        return tailOk(i->thenStmt, last) && (!i->elseStmt || tailOk(i->elseStmt, last));
      }
      case Kind::ForStmt: return !containsReturn(static_cast<const ForStmt*>(s)->body);
      case Kind::ForeachStmt: return !containsReturn(static_cast<const ForeachStmt*>(s)->body);
      case Kind::TryStmt: {
        auto* t = static_cast<const TryStmt*>(s);
        return !containsReturn(t->body) && !containsReturn(t->handler);
      }
      default: return true;
    }
  }
  bool containsReturn(const Stmt* s) {
    struct Finder : Visitor {
      using Visitor::visit;
      bool found = false;
      void visit(ReturnStmt&) override { found = true; }
    } finder;
    finder.visit(const_cast<Stmt*>(s));
    return finder.found;
  }

  void returnStatement(ReturnStmt* r) {
    if (inlineStack_.empty()) {
      // In a function that stays a function: a plain return of a pure value.
      if (inFunction_) emit(ctx_.ast.make<ReturnStmt>(r->loc, r->value ? value(r->value) : nullptr));
      return;  // `return` in a probe was rejected by the parser
    }
    // A copy: lowering the value can inline further calls, which grows the stack.
    InlineFrame frame = inlineStack_.back();
    if (r->value) {
      Expr* v = value(r->value);
      if (frame.result) emitExpr(assign(ref(frame.result, r->loc), v));
    }
    if (frame.returned) {
      emitExpr(assign(ref(frame.returned, r->loc), number(1, r->loc)));
      emit(ctx_.ast.make<BreakStmt>(r->loc));
    }
  }

  PassContext& ctx_;
  sema::Program& prog_;
  sema::DerivedProbe* probe_ = nullptr;
  std::vector<Symbol*>* locals_ = nullptr;
  std::vector<Stmt*>* out_ = nullptr;
  int counter_ = 0;
  std::vector<InlineFrame> inlineStack_;
  std::set<Function*> called_;     // functions that stay functions (keepFunctionCalls)
  std::vector<Function*> toLower_;  // called ones, in the order they were reached
  Function* inFunction_ = nullptr;
};

}  // namespace

void lowerEffects(PassContext& ctx) { Lowerer(ctx).run(); }

}  // namespace stp2bpf::passes
