// Name resolution: every variable becomes a local, a parameter or a global Symbol; every
// call a user function, a tapset script function or a builtin.  Tapset functions and
// globals are pulled in on first use (and their files' plain probes with them), so the
// program grows until nothing new is referenced.
#include <functional>

#include "ast/visitor.h"
#include "passes/derive.h"
#include "passes/pass_manager.h"
#include "tapset/builtins.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::Function;
using sema::Symbol;
using sema::SymbolKind;

class Resolver : public Visitor {
 public:
  using Visitor::visit;
  explicit Resolver(PassContext& ctx) : ctx_(ctx), prog_(ctx.program) {}

  void run() {
    declareGlobals(*ctx_.userScript, false);
    // Probes first, then functions as they are discovered, then any tapset file that
    // became used: its globals and plain probes.
    size_t probesDone = 0, functionsDone = 0;
    std::set<ast::Script*> filesDone;
    for (;;) {
      bool progress = false;
      while (probesDone < prog_.probes.size()) {
        resolveProbe(prog_.probes[probesDone++]);
        progress = true;
      }
      while (functionsDone < pending_.size()) {
        resolveFunction(pending_[functionsDone++]);
        progress = true;
      }
      for (ast::Script* file : ctx_.library.usedFiles()) {
        if (!filesDone.insert(file).second) continue;
        declareGlobals(*file, true);
        deriveProbesOf(ctx_, *file, true);
        progress = true;
      }
      if (!progress) break;
    }
  }

 private:
  // ---------------------------------------------------------------- scopes

  void declareGlobals(const ast::Script& script, bool fromTapset) {
    for (Decl* d : script.decls) {
      auto* g = as<GlobalDecl>(d);
      if (!g || prog_.global(g->name)) continue;
      addGlobal(g, fromTapset);
    }
  }

  Symbol* addGlobal(const GlobalDecl* g, bool fromTapset) {
    Symbol* s = prog_.newSymbol(SymbolKind::Global, g->name, g->loc);
    s->decl = g;
    s->init = g->init;
    s->maxEntries = g->maxEntries;
    s->wrap = g->wrap;
    s->fromTapset = fromTapset;
    prog_.globals.push_back(s);
    return s;
  }

  Symbol* lookupGlobal(const std::string& name) {
    if (Symbol* s = prog_.global(name)) return s;
    if (GlobalDecl* g = ctx_.library.global(name)) {
      if (ast::Script* file = ctx_.library.fileOf(g)) ctx_.library.markUsed(file);
      return addGlobal(g, true);
    }
    return nullptr;
  }

  Symbol* lookup(const std::string& name, const SourceLocation& loc) {
    if (locals_) {
      auto it = locals_->find(name);
      if (it != locals_->end()) return it->second;
    }
    if (Symbol* g = lookupGlobal(name)) return g;
    if (!locals_) {
      ctx_.diags.error(loc, "'" + name + "' is not a global: a probe condition may only use globals");
      return nullptr;
    }
    Symbol* s = prog_.newSymbol(SymbolKind::Local, name, loc);
    (*locals_)[name] = s;
    localList_->push_back(s);
    return s;
  }

  void bind(const Node* n, Symbol* s) {
    if (s) prog_.symbols[n] = s;
  }

  // An array (or statistics) base must be a global.
  void bindArray(Expr* base, const char* what) {
    auto* v = as<Variable>(base);
    if (!v) {
      visit(base);
      return;
    }
    Symbol* s = nullptr;
    if (locals_ && locals_->count(v->name)) {
      ctx_.diags.error(v->loc, "'" + v->name + "' is used as " + what +
                                   " but is a local variable: arrays must be declared global");
      return;
    }
    s = lookupGlobal(v->name);
    if (!s) {
      ctx_.diags.error(v->loc, "'" + v->name + "' is used as " + what +
                                   " but has no global declaration (add 'global " + v->name + "')");
      return;
    }
    s->isArray = s->isArray || std::string(what) == "an array";
    bind(v, s);
  }

  void resolveProbe(sema::DerivedProbe& p) {
    std::map<std::string, Symbol*> locals;
    locals_ = nullptr;
    if (p.condition) visit(p.condition);
    locals_ = &locals;
    localList_ = &p.locals;
    inFunction_ = false;
    visit(p.body);
    locals_ = nullptr;
  }

  void resolveFunction(Function* f) {
    std::map<std::string, Symbol*> locals;
    for (Symbol* param : f->params) locals[param->name] = param;
    locals_ = &locals;
    localList_ = &f->locals;
    inFunction_ = true;
    if (f->body) visit(f->body);
    locals_ = nullptr;
  }

  Function* functionFor(FunctionDecl* decl, bool fromTapset) {
    auto it = functions_.find(decl);
    if (it != functions_.end()) return it->second;
    Function* f = prog_.newFunction();
    f->decl = decl;
    f->name = decl->name;
    f->fromTapset = fromTapset;
    f->embeddedC = decl->embedded != nullptr;
    f->body = decl->body;
    f->returnType = declTypeToType(decl->returnType);
    if (f->returnType != Type::Unknown) f->typeLoc = decl->loc;
    for (const Parameter& param : decl->params) {
      Symbol* s = prog_.newSymbol(SymbolKind::Parameter, param.name, param.loc);
      s->type = declTypeToType(param.type);
      if (s->type != Type::Unknown) s->typeLoc = param.loc;
      f->params.push_back(s);
      f->locals.push_back(s);
    }
    prog_.functions.push_back(f);
    prog_.functionsByName[f->name].push_back(f);
    functions_[decl] = f;
    if (!f->embeddedC) pending_.push_back(f);
    return f;
  }

  // ---------------------------------------------------------------- visiting

  void visit(Variable& n) override { bind(&n, lookup(n.name, n.loc)); }

  void visit(ArrayIndex& n) override {
    if (as<Histogram>(n.base)) visit(n.base);
    else bindArray(n.base, "an array");
    for (Expr* i : n.indices) visit(i);
  }

  void visit(ArrayIn& n) override { visit(n.element); }

  void visit(ForeachStmt& n) override {
    if (as<Histogram>(n.array)) visit(n.array);
    else bindArray(n.array, "an array");
    for (Variable* k : n.keys) visit(k);
    visit(n.value);
    for (Expr* s : n.slice) visit(s);
    visit(n.limit);
    visit(n.body);
  }

  void visit(Assignment& n) override {
    // `x <<< v` makes x a statistics aggregate, which must be global.
    if (n.op == AssignOp::Aggregate) {
      if (auto* v = as<Variable>(n.target)) bindArray(v, "a statistics aggregate");
      else visit(n.target);
    } else {
      visit(n.target);
    }
    visit(n.value);
  }

  void visit(StatOp& n) override {
    if (auto* v = as<Variable>(n.operand)) bindArray(v, "a statistics aggregate");
    else visit(n.operand);
  }

  void visit(Histogram& n) override {
    if (auto* v = as<Variable>(n.operand)) bindArray(v, "a statistics aggregate");
    else visit(n.operand);
  }

  void visit(DeleteStmt& n) override {
    // `delete x` on a bare name: an array if it is one, else a scalar reset.
    if (auto* v = as<Variable>(n.target)) {
      Symbol* s = lookupGlobal(v->name);
      if (s) {
        bind(v, s);
        return;
      }
    }
    visit(n.target);
  }

  void visit(TryStmt& n) override {
    visit(n.body);
    visit(n.catchVar);
    visit(n.handler);
  }

  void visit(FunctionCall& n) override {
    for (Expr* a : n.args) visit(a);
    sema::CallTarget target;
    // 1. The user's own functions.
    for (Decl* d : ctx_.userScript->decls)
      if (auto* f = as<FunctionDecl>(d))
        if (f->name == n.name && f->params.size() == n.args.size()) target.function = functionFor(f, false);
    // 2. Builtins implemented by stp2bpf.
    if (!target.function) target.builtin = tapset::findBuiltin(n.name, n.args.size());
    // 3. Tapset script functions.
    if (!target.function && !target.builtin) {
      for (FunctionDecl* f : ctx_.library.functions(n.name)) {
        if (f->params.size() != n.args.size()) continue;
        if (ast::Script* file = ctx_.library.fileOf(f)) ctx_.library.markUsed(file);
        target.function = functionFor(f, true);
        break;
      }
    }
    if (!target.function && !target.builtin) {
      std::string msg = "unresolved function '" + n.name + "' with " + std::to_string(n.args.size()) +
                        (n.args.size() == 1 ? " argument" : " arguments");
      if (const tapset::Builtin* b = tapset::findBuiltinByName(n.name))
        msg += " ('" + n.name + "' takes " + std::to_string(b->params.size()) + ")";
      else
        msg += ": no user, tapset or builtin function of that name";
      ctx_.diags.error(n.loc, msg);
      return;
    }
    // Calls to embedded-C functions are reported by the usage pass, once dead code is gone.
    if (target.function) target.function->used = true;
    prog_.calls[&n] = target;
  }

  void visit(TargetVariable& n) override {
    if (inFunction_)
      ctx_.diags.error(n.loc, "target variable '" + n.name + "' can only be used in a probe body");
    visitComponents(n);
  }

  PassContext& ctx_;
  sema::Program& prog_;
  std::map<std::string, Symbol*>* locals_ = nullptr;
  std::vector<Symbol*>* localList_ = nullptr;
  bool inFunction_ = false;
  std::map<const FunctionDecl*, Function*> functions_;
  std::vector<Function*> pending_;
};

}  // namespace

void resolveSymbols(PassContext& ctx) {
  if (!ctx.userScript) return;
  Resolver(ctx).run();
}

}  // namespace stp2bpf::passes
