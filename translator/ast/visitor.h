// Visitor over the AST.  The default implementation of every visit() walks the node's
// children in source order, so a pass overrides only the nodes it cares about and calls
// Visitor::visit(node) (or visitChildren) to keep descending.
#pragma once

#include "ast/ast.h"

namespace stp2bpf::ast {

class Visitor {
 public:
  virtual ~Visitor() = default;

#define X(name) virtual void visit(name& node);
  AST_NODE_KINDS(X)
#undef X

  // Helpers that tolerate null.
  void visit(Node* n) {
    if (n) n->accept(*this);
  }
  void visitComponents(TargetExpr& t);
  void visitChildren(Node& n);
};

}  // namespace stp2bpf::ast
