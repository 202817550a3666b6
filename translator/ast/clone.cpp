#include "ast/clone.h"

namespace stp2bpf::ast {

namespace {

class Cloner {
 public:
  explicit Cloner(AstContext& ctx) : ctx_(ctx) {}

  template <typename T>
  T* c(const T* n) {
    return static_cast<T*>(node(n));
  }

  std::vector<Expr*> list(const std::vector<Expr*>& in) {
    std::vector<Expr*> out;
    out.reserve(in.size());
    for (const Expr* e : in) out.push_back(c(e));
    return out;
  }

  void components(TargetExpr* to, const TargetExpr* from) {
    to->addressOf = from->addressOf;
    to->type = from->type;
    for (TargetComponent comp : from->components) {
      comp.index = c(comp.index);
      to->components.push_back(comp);
    }
  }

  Node* node(const Node* n) {
    if (!n) return nullptr;
    Node* out = copy(n);
    if (auto* e = as<Expr>(out)) e->type = static_cast<const Expr*>(n)->type;
    return out;
  }

  Node* copy(const Node* n) {
    const SourceLocation& l = n->loc;
    switch (n->kind) {
      case Kind::NumberLiteral: return ctx_.make<NumberLiteral>(l, as<NumberLiteral>(n)->value);
      case Kind::StringLiteral: return ctx_.make<StringLiteral>(l, as<StringLiteral>(n)->value);
      case Kind::Variable: return ctx_.make<Variable>(l, as<Variable>(n)->name);
      case Kind::ArrayIndex: {
        auto* a = as<ArrayIndex>(n);
        return ctx_.make<ArrayIndex>(l, c(a->base), list(a->indices));
      }
      case Kind::FunctionCall: {
        auto* f = as<FunctionCall>(n);
        return ctx_.make<FunctionCall>(l, f->name, list(f->args));
      }
      case Kind::PrintCall: {
        auto* p = as<PrintCall>(n);
        auto* out = ctx_.make<PrintCall>(l, p->printKind);
        out->formatOrDelimiter = p->formatOrDelimiter;
        out->formatLoc = p->formatLoc;
        out->args = list(p->args);
        out->histogram = c(p->histogram);
        return out;
      }
      case Kind::Unary: {
        auto* u = as<Unary>(n);
        return ctx_.make<Unary>(l, u->op, c(u->operand));
      }
      case Kind::IncDec: {
        auto* i = as<IncDec>(n);
        return ctx_.make<IncDec>(l, i->increment, i->prefix, c(i->operand));
      }
      case Kind::Binary: {
        auto* b = as<Binary>(n);
        return ctx_.make<Binary>(l, b->op, c(b->left), c(b->right));
      }
      case Kind::RegexMatch: {
        auto* r = as<RegexMatch>(n);
        return ctx_.make<RegexMatch>(l, c(r->subject), r->pattern, r->negated);
      }
      case Kind::Ternary: {
        auto* t = as<Ternary>(n);
        return ctx_.make<Ternary>(l, c(t->cond), c(t->thenExpr), c(t->elseExpr));
      }
      case Kind::Assignment: {
        auto* a = as<Assignment>(n);
        return ctx_.make<Assignment>(l, a->op, c(a->target), c(a->value));
      }
      case Kind::ArrayIn: return ctx_.make<ArrayIn>(l, c(as<ArrayIn>(n)->element));
      case Kind::StatOp: {
        auto* s = as<StatOp>(n);
        auto* out = ctx_.make<StatOp>(l, s->stat, c(s->operand));
        out->params = s->params;
        return out;
      }
      case Kind::Histogram: {
        auto* h = as<Histogram>(n);
        auto* out = ctx_.make<Histogram>(l, h->histKind, c(h->operand));
        out->start = h->start;
        out->stop = h->stop;
        out->interval = h->interval;
        return out;
      }
      case Kind::TargetVariable: {
        auto* t = as<TargetVariable>(n);
        auto* out = ctx_.make<TargetVariable>(l, t->name);
        components(out, t);
        return out;
      }
      case Kind::CastOp: {
        auto* t = as<CastOp>(n);
        auto* out = ctx_.make<CastOp>(l, c(t->operand), t->typeName, t->module);
        components(out, t);
        return out;
      }
      case Kind::AtVar: {
        auto* t = as<AtVar>(n);
        auto* out = ctx_.make<AtVar>(l, t->name, t->module);
        components(out, t);
        return out;
      }
      case Kind::AutoCast: {
        auto* t = as<AutoCast>(n);
        auto* out = ctx_.make<AutoCast>(l, c(t->operand));
        components(out, t);
        return out;
      }
      case Kind::DefinedOp: return ctx_.make<DefinedOp>(l, c(as<DefinedOp>(n)->operand));
      case Kind::EntryOp: return ctx_.make<EntryOp>(l, c(as<EntryOp>(n)->operand));
      case Kind::PerfOp: return ctx_.make<PerfOp>(l, as<PerfOp>(n)->counter);
      case Kind::ConstOp: return ctx_.make<ConstOp>(l, as<ConstOp>(n)->code);
      case Kind::ProbewriteOp: return ctx_.make<ProbewriteOp>(l, as<ProbewriteOp>(n)->name);
      case Kind::RegisterOp: {
        auto* r = as<RegisterOp>(n);
        return ctx_.make<RegisterOp>(l, r->userSpace, r->regno);
      }
      case Kind::DerefOp: {
        auto* d = as<DerefOp>(n);
        return ctx_.make<DerefOp>(l, d->userSpace, d->size, c(d->address));
      }
      case Kind::EmbeddedExpr: return ctx_.make<EmbeddedExpr>(l, as<EmbeddedExpr>(n)->code);

      case Kind::Block: {
        auto* b = as<Block>(n);
        auto* out = ctx_.make<Block>(l);
        for (const Stmt* s : b->statements) out->statements.push_back(c(s));
        return out;
      }
      case Kind::ExprStmt: return ctx_.make<ExprStmt>(l, c(as<ExprStmt>(n)->expr));
      case Kind::NullStmt: return ctx_.make<NullStmt>(l);
      case Kind::IfStmt: {
        auto* i = as<IfStmt>(n);
        return ctx_.make<IfStmt>(l, c(i->cond), c(i->thenStmt), c(i->elseStmt));
      }
      case Kind::ForStmt: {
        auto* f = as<ForStmt>(n);
        return ctx_.make<ForStmt>(l, c(f->init), c(f->cond), c(f->step), c(f->body), f->isWhile);
      }
      case Kind::ForeachStmt: {
        auto* f = as<ForeachStmt>(n);
        auto* out = ctx_.make<ForeachStmt>(l);
        out->value = c(f->value);
        for (const Variable* k : f->keys) out->keys.push_back(c(k));
        out->bracketedKeys = f->bracketedKeys;
        out->array = c(f->array);
        out->slice = list(f->slice);
        out->sortColumn = f->sortColumn;
        out->sortDirection = f->sortDirection;
        out->sortAggregate = f->sortAggregate;
        out->limit = c(f->limit);
        out->body = c(f->body);
        return out;
      }
      case Kind::ReturnStmt: return ctx_.make<ReturnStmt>(l, c(as<ReturnStmt>(n)->value));
      case Kind::DeleteStmt: return ctx_.make<DeleteStmt>(l, c(as<DeleteStmt>(n)->target));
      case Kind::NextStmt: return ctx_.make<NextStmt>(l);
      case Kind::BreakStmt: return ctx_.make<BreakStmt>(l);
      case Kind::ContinueStmt: return ctx_.make<ContinueStmt>(l);
      case Kind::LoopStmt: {
        auto* lp = as<LoopStmt>(n);
        auto* out = ctx_.make<LoopStmt>(l, c(lp->body), c(lp->step));
        out->bound = lp->bound;
        out->boundIsExact = lp->boundIsExact;
        out->origin = lp->origin;
        return out;
      }
      case Kind::TryStmt: {
        auto* t = as<TryStmt>(n);
        return ctx_.make<TryStmt>(l, c(t->body), c(t->catchVar), c(t->handler));
      }
      case Kind::ProbePoint: {
        auto* p = as<ProbePoint>(n);
        auto* out = ctx_.make<ProbePoint>(l);
        for (ProbeComponent comp : p->components) {
          comp.arg = c(comp.arg);
          out->components.push_back(comp);
        }
        out->optional = p->optional;
        out->sufficient = p->sufficient;
        out->condition = c(p->condition);
        return out;
      }
      default:
        // Declarations are never cloned: they are shared by the whole program.
        return const_cast<Node*>(n);
    }
  }

 private:
  AstContext& ctx_;
};

}  // namespace

Node* cloneNode(AstContext& ctx, const Node* node) { return Cloner(ctx).node(node); }

}  // namespace stp2bpf::ast
