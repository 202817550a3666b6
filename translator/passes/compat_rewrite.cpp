// SystemTap before 4.0 parsed the last operand of `c ? a : b` as a full expression, so
// `f ? 0 : h += d` meant `f ? 0 : (h += d)`.  SystemTap 4.0 changed the grammar: the same
// text now parses as `(f ? 0 : h) += d`, which it rejects ("Expecting lvalue for
// assignment").  Scripts written for the old grammar (tetris.stp among them) rely on the
// old meaning, which is also the only one that can be executed.  This pass gives an
// assignment whose target is a conditional that meaning, with a warning, exactly as
// `stap --compatible=3.3` would parse it:
//     (c ? a : b) op= v   ==>   c ? a : (b op= v)      (recursively into b)
#include "ast/printer.h"
#include "ast/visitor.h"
#include "passes/pass_manager.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;

class ConditionalTargetRewriter : public Visitor {
 public:
  using Visitor::visit;
  ConditionalTargetRewriter(AstContext& ctx, Diagnostics& diags) : ctx_(ctx), diags_(diags) {}

  // Rewrites the expression held in `slot` (and everything below it).
  void rewrite(Expr*& slot) {
    if (!slot) return;
    slot->accept(*this);
    if (auto* a = as<Assignment>(slot)) {
      if (auto* t = as<Ternary>(a->target)) {
        Ternary* top = rotate(a, t);
        diags_.warning(a->loc, "assignment to a conditional expression: read as '" +
                                   printToString(*top) +
                                   "', as SystemTap before 4.0 parsed it (SystemTap 4.0 and "
                                   "later reject it)");
        slot = top;
      }
    }
  }

  // Visiting: rewrite every expression slot of every node.
  void visit(ExprStmt& n) override { rewrite(n.expr); }
  void visit(IfStmt& n) override {
    rewrite(n.cond);
    visit(n.thenStmt);
    visit(n.elseStmt);
  }
  void visit(ForStmt& n) override {
    rewrite(n.init);
    rewrite(n.cond);
    rewrite(n.step);
    visit(n.body);
  }
  void visit(ForeachStmt& n) override {
    rewrite(n.limit);
    for (Expr*& s : n.slice) rewrite(s);
    visit(n.body);
  }
  void visit(ReturnStmt& n) override { rewrite(n.value); }
  void visit(DeleteStmt& n) override { rewrite(n.target); }
  void visit(ArrayIndex& n) override {
    for (Expr*& i : n.indices) rewrite(i);
  }
  void visit(FunctionCall& n) override {
    for (Expr*& a : n.args) rewrite(a);
  }
  void visit(PrintCall& n) override {
    for (Expr*& a : n.args) rewrite(a);
  }
  void visit(Unary& n) override { rewrite(n.operand); }
  void visit(IncDec& n) override { rewrite(n.operand); }
  void visit(Binary& n) override {
    rewrite(n.left);
    rewrite(n.right);
  }
  void visit(RegexMatch& n) override { rewrite(n.subject); }
  void visit(Ternary& n) override {
    rewrite(n.cond);
    rewrite(n.thenExpr);
    rewrite(n.elseExpr);
  }
  void visit(Assignment& n) override {
    rewrite(n.target);
    rewrite(n.value);
  }
  void visit(StatOp& n) override { rewrite(n.operand); }
  void visit(DefinedOp& n) override { rewrite(n.operand); }
  void visit(EntryOp& n) override { rewrite(n.operand); }
  void visit(ProbePoint& n) override { rewrite(n.condition); }
  void visit(GlobalDecl&) override {}

 private:
  // (c ? a : b) op= v  ->  c ? a : (b op= v), pushing into nested conditionals in b.
  // Returns the new top (the ternary), with the assignment moved into its else branch.
  Ternary* rotate(Assignment* a, Ternary* t) {
    Expr* inner = t->elseExpr;
    Assignment* moved = ctx_.make<Assignment>(a->loc, a->op, inner, a->value);
    if (auto* nested = as<Ternary>(inner)) {
      t->elseExpr = rotate(moved, nested);
    } else {
      t->elseExpr = moved;
    }
    return t;
  }

  AstContext& ctx_;
  Diagnostics& diags_;
};

}  // namespace

void rewriteConditionalTargets(PassContext& ctx) {
  ConditionalTargetRewriter rewriter(ctx.ast, ctx.diags);
  for (Script* s : ctx.ast.scripts) rewriter.visit(*s);
}

}  // namespace stp2bpf::passes
