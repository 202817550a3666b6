// SystemTap before 4.0 parsed the last operand of `c ? a : b` as a full expression, so
// `f ? 0 : h += d` meant `f ? 0 : (h += d)`.  SystemTap 4.0 changed the grammar: the same
// text now parses as `(f ? 0 : h) += d`, which it rejects ("Expecting lvalue for
// assignment").  Scripts written for the old grammar (tetris.stp among them) rely on the
// old meaning, which is also the only one that can be executed.  This pass gives an
// assignment whose target is a conditional that meaning, with a warning, exactly as
// `stap --compatible=3.3` would parse it:
//     (c ? a : b) op= v   ==>   c ? a : (b op= v)      (recursively into b)
#include "ast/printer.h"
#include "ast/rewriter.h"
#include "passes/pass_manager.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;

class ConditionalTargetRewriter : public ExprRewriter {
 public:
  ConditionalTargetRewriter(AstContext& ctx, Diagnostics& diags) : ctx_(ctx), diags_(diags) {}

  // Rewrites the expression held in `slot` (and everything below it).
  void rewrite(Expr*& slot) override {
    if (!slot) return;
    ExprRewriter::rewrite(slot);
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
