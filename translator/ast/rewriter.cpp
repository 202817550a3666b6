#include "ast/rewriter.h"

namespace stp2bpf::ast {

void ExprRewriter::components(TargetExpr& t) {
  for (TargetComponent& c : t.components) rewrite(c.index);
}

void ExprRewriter::visit(ExprStmt& n) { rewrite(n.expr); }
void ExprRewriter::visit(IfStmt& n) {
  rewrite(n.cond);
  visit(n.thenStmt);
  visit(n.elseStmt);
}
void ExprRewriter::visit(ForStmt& n) {
  rewrite(n.init);
  rewrite(n.cond);
  rewrite(n.step);
  visit(n.body);
}
void ExprRewriter::visit(ForeachStmt& n) {
  rewrite(n.array);
  for (Expr*& s : n.slice) rewrite(s);
  rewrite(n.limit);
  visit(n.body);
}
void ExprRewriter::visit(ReturnStmt& n) { rewrite(n.value); }
void ExprRewriter::visit(DeleteStmt& n) { rewrite(n.target); }
void ExprRewriter::visit(ArrayIndex& n) {
  rewrite(n.base);
  for (Expr*& i : n.indices) rewrite(i);
}
// The element of `[k] in a` stays an ArrayIndex: only its keys are slots.
void ExprRewriter::visit(ArrayIn& n) {
  if (!n.element) return;
  for (Expr*& i : n.element->indices) rewrite(i);
}
void ExprRewriter::visit(FunctionCall& n) {
  for (Expr*& a : n.args) rewrite(a);
}
void ExprRewriter::visit(PrintCall& n) {
  for (Expr*& a : n.args) rewrite(a);
  if (n.histogram) rewrite(n.histogram->operand);
}
void ExprRewriter::visit(Unary& n) { rewrite(n.operand); }
void ExprRewriter::visit(IncDec& n) { rewrite(n.operand); }
void ExprRewriter::visit(Binary& n) {
  rewrite(n.left);
  rewrite(n.right);
}
void ExprRewriter::visit(RegexMatch& n) { rewrite(n.subject); }
void ExprRewriter::visit(Ternary& n) {
  rewrite(n.cond);
  rewrite(n.thenExpr);
  rewrite(n.elseExpr);
}
void ExprRewriter::visit(Assignment& n) {
  rewrite(n.target);
  rewrite(n.value);
}
void ExprRewriter::visit(StatOp& n) { rewrite(n.operand); }
void ExprRewriter::visit(Histogram& n) { rewrite(n.operand); }
void ExprRewriter::visit(TargetVariable& n) { components(n); }
void ExprRewriter::visit(CastOp& n) {
  rewrite(n.operand);
  components(n);
}
void ExprRewriter::visit(AtVar& n) { components(n); }
void ExprRewriter::visit(AutoCast& n) {
  rewrite(n.operand);
  components(n);
}
void ExprRewriter::visit(DefinedOp& n) { rewrite(n.operand); }
void ExprRewriter::visit(EntryOp& n) { rewrite(n.operand); }
void ExprRewriter::visit(DerefOp& n) { rewrite(n.address); }
void ExprRewriter::visit(ProbePoint& n) { rewrite(n.condition); }

}  // namespace stp2bpf::ast
