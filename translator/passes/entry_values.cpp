// `@entry(expr)` in a `.return` probe: the value `expr` had when the function was
// entered.  As SystemTap does, each one becomes a hidden global array keyed by thread:
// a synthesized entry probe on the same function stores the value, and the return probe
// reads it (and deletes it when its body ends).
//     probe kernel.function("f").return { t = gettimeofday_ns() - @entry(gettimeofday_ns()) }
// ==> probe kernel.function("f") { __entry_1[tid()] = gettimeofday_ns() }
//     probe kernel.function("f").return { t = gettimeofday_ns() - __entry_1[tid()]
//                                         delete __entry_1[tid()] }
// Runs after probe derivation (aliases can bring @entry in) and before resolution, so
// the new global and calls are resolved and typed like the script's own.
#include "ast/clone.h"
#include "ast/rewriter.h"
#include "passes/pass_manager.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;

class EntryValueRewriter : public ExprRewriter {
 public:
  EntryValueRewriter(PassContext& ctx, bool inReturnProbe, Block* entryBody, int& counter)
      : ctx_(ctx), inReturnProbe_(inReturnProbe), entryBody_(entryBody), counter_(counter) {}

  void rewrite(Expr*& slot) override {
    ExprRewriter::rewrite(slot);
    auto* e = as<EntryOp>(slot);
    if (!e) return;
    if (!inReturnProbe_) {
      ctx_.diags.error(e->loc, "@entry is only allowed in a '.return' probe of a function or system call");
      return;
    }
    GlobalDecl* saved = newGlobal(e->loc);
    entryBody_->statements.push_back(ctx_.ast.make<ExprStmt>(
        e->loc, ctx_.ast.make<Assignment>(e->loc, AssignOp::Assign, element(saved, e->loc), e->operand)));
    slot = element(saved, e->loc);
    used.push_back(saved);
  }

  std::vector<GlobalDecl*> used;

  ArrayIndex* element(GlobalDecl* g, const SourceLocation& loc) {
    auto* tid = ctx_.ast.make<FunctionCall>(loc, "tid", std::vector<Expr*>{});
    return ctx_.ast.make<ArrayIndex>(loc, ctx_.ast.make<Variable>(loc, g->name), std::vector<Expr*>{tid});
  }

 private:
  GlobalDecl* newGlobal(const SourceLocation& loc) {
    auto* g = ctx_.ast.make<GlobalDecl>(loc, "__entry_" + std::to_string(++counter_));
    ctx_.userScript->decls.push_back(g);
    return g;
  }

  PassContext& ctx_;
  bool inReturnProbe_;
  Block* entryBody_;
  int& counter_;  // numbers the hidden globals of the whole program
};

bool returnsFromFunction(const sema::AttachPoint& p) {
  return p.isReturn && (p.kind == sema::ProbeKind::KernelFunction || p.kind == sema::ProbeKind::UserFunction);
}

// syscall.NAME.return probes become the syscalls:sys_exit_NAME tracepoint here; their
// entry is sys_enter_NAME.
const std::string kSyscallExit = "sys_exit_", kSyscallEnter = "sys_enter_";
bool returnsFromSyscall(const sema::AttachPoint& p) {
  return p.kind == sema::ProbeKind::Tracepoint && p.system == "syscalls" && p.event.rfind(kSyscallExit, 0) == 0;
}

// The entry point matching a return point.
sema::AttachPoint entryOf(const sema::AttachPoint& ret) {
  sema::AttachPoint entry = ret;
  entry.isReturn = false;
  if (returnsFromSyscall(ret)) {
    entry.event = kSyscallEnter + ret.event.substr(kSyscallExit.size());
    entry.text = "kernel.trace(\"syscalls:" + entry.event + "\")";
    return entry;
  }
  const std::string suffix = ".return";
  if (entry.text.size() > suffix.size() &&
      entry.text.compare(entry.text.size() - suffix.size(), suffix.size(), suffix) == 0)
    entry.text.resize(entry.text.size() - suffix.size());
  return entry;
}

}  // namespace

void rewriteEntryValues(PassContext& ctx) {
  if (!ctx.userScript) return;
  std::vector<sema::DerivedProbe> entryProbes;
  int counter = 0;
  for (sema::DerivedProbe& p : ctx.program.probes) {
    Block* entryBody = ctx.ast.make<Block>(p.loc);
    EntryValueRewriter rewriter(ctx, returnsFromFunction(p.point) || returnsFromSyscall(p.point), entryBody,
                                counter);
    rewriter.visit(p.body);
    if (rewriter.used.empty()) continue;
    for (GlobalDecl* g : rewriter.used)
      p.body->statements.push_back(ctx.ast.make<DeleteStmt>(p.loc, rewriter.element(g, p.loc)));
    sema::DerivedProbe entry = p;
    entry.point = entryOf(p.point);
    entry.condition = nullptr;  // the value is saved whether or not the return probe runs
    entry.body = entryBody;
    entry.locals.clear();
    entryProbes.push_back(std::move(entry));
  }
  for (sema::DerivedProbe& e : entryProbes) ctx.program.probes.push_back(std::move(e));
}

}  // namespace stp2bpf::passes
