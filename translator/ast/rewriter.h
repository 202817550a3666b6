// A visitor that can replace expressions: every expression slot of every node is passed
// to rewrite(Expr*&), whose default descends into the expression.  A pass overrides
// rewrite() to look at (and possibly replace) what a slot holds, and calls
// ExprRewriter::rewrite(slot) to keep descending.
#pragma once

#include "ast/visitor.h"

namespace stp2bpf::ast {

class ExprRewriter : public Visitor {
 public:
  using Visitor::visit;

  virtual void rewrite(Expr*& slot) {
    if (slot) slot->accept(*this);
  }

  void visit(ExprStmt& n) override;
  void visit(IfStmt& n) override;
  void visit(ForStmt& n) override;
  void visit(ForeachStmt& n) override;
  void visit(ReturnStmt& n) override;
  void visit(DeleteStmt& n) override;
  void visit(ArrayIndex& n) override;
  void visit(ArrayIn& n) override;
  void visit(FunctionCall& n) override;
  void visit(PrintCall& n) override;
  void visit(Unary& n) override;
  void visit(IncDec& n) override;
  void visit(Binary& n) override;
  void visit(RegexMatch& n) override;
  void visit(Ternary& n) override;
  void visit(Assignment& n) override;
  void visit(StatOp& n) override;
  void visit(Histogram& n) override;
  void visit(TargetVariable& n) override;
  void visit(CastOp& n) override;
  void visit(AtVar& n) override;
  void visit(AutoCast& n) override;
  void visit(DefinedOp& n) override;
  void visit(EntryOp& n) override;
  void visit(DerefOp& n) override;
  void visit(ProbePoint& n) override;
  void visit(GlobalDecl&) override {}

 private:
  void components(TargetExpr& t);
};

}  // namespace stp2bpf::ast
