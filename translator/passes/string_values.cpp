#include "passes/string_values.h"

#include <optional>

#include "ast/visitor.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::Symbol;
using ValueSet = std::optional<std::set<std::string>>;  // nullopt: any string

// substr(s, start, length) as SystemTap's tapset defines it: 0-based start; empty if the
// start is outside the string; the length is cut at the end of the string.
std::string substrOf(const std::string& s, int64_t start, int64_t length) {
  if (start < 0 || length <= 0 || static_cast<size_t>(start) >= s.size()) return "";
  return s.substr(static_cast<size_t>(start), static_cast<size_t>(length));
}

class Analysis {
 public:
  Analysis(PassContext& ctx, size_t maxValues) : prog_(ctx.program), max_(maxValues) {}

  InternedStrings run() {
    // Every string variable starts as "" (locals at each probe hit, globals and array
    // entries until written), so "" is always possible.
    auto seed = [&](const Symbol* s) {
      if (s->type == Type::String) sets_[s] = std::set<std::string>{""};
    };
    for (const Symbol* g : prog_.globals) {
      seed(g);
      if (auto* lit = as<StringLiteral>(g->init)) merge(g, {std::set<std::string>{lit->value}});
    }
    for (const auto& p : prog_.probes)
      for (const Symbol* s : p.locals) seed(s);

    // Functions kept as calls (C backend): their parameters and locals are any string
    // (never seeded), but what they write to globals counts.
    for (int round = 0; round < 100; ++round) {
      changed_ = false;
      for (auto& p : prog_.probes) stmt(p.body);
      for (auto* f : prog_.calledFunctions) stmt(f->body);
      if (!changed_) break;
    }

    InternedStrings out;
    std::set<std::string> all{""};
    for (const auto& [sym, set] : sets_)
      if (set) {
        out.symbols.insert(sym);
        all.insert(set->begin(), set->end());
      }
    // Record interned expressions (string-typed, finite sets) with their values.
    std::map<const Expr*, std::set<std::string>> exprValues;
    collecting_ = &exprValues;
    for (auto& p : prog_.probes) stmt(p.body);
    for (auto* f : prog_.calledFunctions) stmt(f->body);
    collecting_ = nullptr;
    for (const auto& [e, set] : exprValues) all.insert(set.begin(), set.end());
    if (all.size() > max_) return InternedStrings{{""}, {{"", 0}}, {}, {}};
    for (const std::string& v : all) {
      out.ids[v] = static_cast<int64_t>(out.values.size());
      out.values.push_back(v);
    }
    for (const auto& [e, set] : exprValues) {
      std::set<int64_t> ids;
      for (const std::string& v : set) ids.insert(out.ids.at(v));
      out.expressions[e] = ids;
    }
    return out;
  }

 private:
  void merge(const Symbol* s, const ValueSet& v) {
    auto it = sets_.find(s);
    if (it == sets_.end() || !it->second) return;
    if (!v) {
      it->second.reset();
      changed_ = true;
      return;
    }
    size_t before = it->second->size();
    it->second->insert(v->begin(), v->end());
    if (it->second->size() > max_) it->second.reset();
    if (!it->second || it->second->size() != before) changed_ = true;
  }

  ValueSet symbolSet(const Node* n) {
    const Symbol* s = prog_.symbolOf(n);
    if (!s) return std::nullopt;
    auto it = sets_.find(s);
    return it == sets_.end() ? std::nullopt : it->second;
  }

  ValueSet eval(Expr* e) {
    if (e->type != Type::String) return std::nullopt;
    ValueSet v = evalRaw(e);
    if (collecting_ && v) (*collecting_)[e] = *v;
    return v;
  }

  ValueSet evalRaw(Expr* e) {
    switch (e->kind) {
      case Kind::StringLiteral: return std::set<std::string>{static_cast<StringLiteral*>(e)->value};
      case Kind::Variable: return symbolSet(e);
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        for (Expr* k : a->indices)
          if (k) eval(k);
        return symbolSet(a->base);
      }
      case Kind::Binary: {
        auto* b = static_cast<Binary*>(e);
        ValueSet l = eval(b->left), r = eval(b->right);
        if (b->op != BinaryOp::Concat || !l || !r) return std::nullopt;
        if (l->size() * r->size() > max_) return std::nullopt;
        std::set<std::string> out;
        for (const auto& x : *l)
          for (const auto& y : *r) out.insert(x + y);
        return out;
      }
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        ValueSet a = eval(t->thenExpr), b = eval(t->elseExpr);
        if (!a || !b) return std::nullopt;
        a->insert(b->begin(), b->end());
        return a;
      }
      case Kind::FunctionCall: {
        auto* c = static_cast<FunctionCall*>(e);
        for (Expr* a : c->args) eval(a);
        if (c->name != "substr" || c->args.empty()) return std::nullopt;
        ValueSet s = eval(c->args[0]);
        if (!s) return std::nullopt;
        auto* len = c->args.size() > 2 ? as<NumberLiteral>(c->args[2]) : nullptr;
        std::set<std::string> out{""};
        for (const std::string& v : *s)
          for (size_t start = 0; start < v.size(); ++start) {
            if (len) {
              out.insert(substrOf(v, static_cast<int64_t>(start), len->value));
            } else if (c->args.size() == 2) {
              out.insert(v.substr(start));
            } else {
              for (size_t n = 1; start + n <= v.size(); ++n) out.insert(v.substr(start, n));
            }
            if (out.size() > max_) return std::nullopt;
          }
        return out;
      }
      default:
        return std::nullopt;
    }
  }

  // Visits every expression of a statement (for the collecting walk too).
  void expr(Expr* e) {
    if (!e) return;
    if (e->type == Type::String) {
      eval(e);
      return;
    }
    // Non-string expressions can contain string operands (comparisons, calls).
    struct Sub : Visitor {
      using Visitor::visit;
      Analysis* self;
      explicit Sub(Analysis* a) : self(a) {}
      void visitExpr(Expr* x) {
        if (x && x->type == Type::String) self->eval(x);
        else visit(x);
      }
      void visit(Binary& n) override { visitExpr(n.left); visitExpr(n.right); }
      void visit(Ternary& n) override { visitExpr(n.cond); visitExpr(n.thenExpr); visitExpr(n.elseExpr); }
      void visit(FunctionCall& n) override { for (Expr* a : n.args) visitExpr(a); }
      void visit(PrintCall& n) override { for (Expr* a : n.args) visitExpr(a); }
      void visit(ArrayIndex& n) override { for (Expr* i : n.indices) visitExpr(i); }
      void visit(RegexMatch& n) override { visitExpr(n.subject); }
      void visit(Unary& n) override { visitExpr(n.operand); }
    } sub(this);
    sub.visit(e);
  }

  void stmt(Stmt* s) {
    if (!s) return;
    switch (s->kind) {
      case Kind::Block:
        for (Stmt* c : static_cast<Block*>(s)->statements) stmt(c);
        break;
      case Kind::ExprStmt: {
        Expr* e = static_cast<ExprStmt*>(s)->expr;
        if (auto* a = as<Assignment>(e)) {
          if (auto* ai = as<ArrayIndex>(a->target))
            for (Expr* k : ai->indices) expr(k);
          if (a->target->type == Type::String) {
            const Node* base = as<ArrayIndex>(a->target) ? static_cast<ArrayIndex*>(a->target)->base : a->target;
            ValueSet v = eval(a->value);
            if (a->op == AssignOp::Concat) {
              ValueSet cur = symbolSet(base);
              if (!cur || !v || cur->size() * v->size() > max_) {
                v.reset();
              } else {
                std::set<std::string> out;
                for (const auto& x : *cur)
                  for (const auto& y : *v) out.insert(x + y);
                v = out;
              }
            }
            if (const Symbol* sym = prog_.symbolOf(base)) merge(sym, v);
            if (collecting_) eval(a->target);
          } else {
            expr(a->value);
          }
        } else {
          expr(e);
        }
        break;
      }
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        expr(i->cond);
        stmt(i->thenStmt);
        stmt(i->elseStmt);
        break;
      }
      case Kind::LoopStmt: {
        auto* l = static_cast<LoopStmt*>(s);
        stmt(l->body);
        stmt(l->step);
        break;
      }
      case Kind::ForeachStmt: {
        auto* f = static_cast<ForeachStmt*>(s);
        // Keys come from the array's keys, which this analysis does not track.
        for (Variable* k : f->keys)
          if (const Symbol* ks = prog_.symbolOf(k); ks && ks->type == Type::String) merge(ks, std::nullopt);
        if (f->value)
          if (const Symbol* vs = prog_.symbolOf(f->value)) merge(vs, symbolSet(f->array));
        expr(f->limit);
        stmt(f->body);
        break;
      }
      case Kind::DeleteStmt: expr(static_cast<DeleteStmt*>(s)->target); break;
      case Kind::TryStmt: {
        auto* t = static_cast<TryStmt*>(s);
        stmt(t->body);
        if (t->catchVar)
          if (const Symbol* cs = prog_.symbolOf(t->catchVar)) merge(cs, std::nullopt);
        stmt(t->handler);
        break;
      }
      default: break;
    }
  }

  sema::Program& prog_;
  size_t max_;
  std::map<const Symbol*, ValueSet> sets_;
  bool changed_ = false;
  std::map<const Expr*, std::set<std::string>>* collecting_ = nullptr;
};

}  // namespace

InternedStrings internStrings(PassContext& ctx, size_t maxValues) {
  return Analysis(ctx, maxValues).run();
}

}  // namespace stp2bpf::passes
