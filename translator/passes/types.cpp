// SystemTap's type inference: every variable, array key and value, function parameter and
// result is `long`, `string` or a statistics aggregate, decided by how it is used across
// the whole program (literals, operators, assignments, calls, printf conversions).  The
// pass propagates types to a fixed point, then walks once more to report conflicts (with
// both locations) and what stayed unknown.
#include <set>

#include "ast/visitor.h"
#include "common/print_format.h"
#include "passes/pass_manager.h"
#include "tapset/builtins.h"
#include "tapset/kernel_info.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::Function;
using sema::Symbol;

std::string typeWord(Type t) {
  switch (t) {
    case Type::Long: return "long";
    case Type::String: return "string";
    case Type::Stats: return "a statistics aggregate";
    case Type::Unknown: return "unknown";
  }
  return "?";
}

class TypeInference {
 public:
  explicit TypeInference(PassContext& ctx) : ctx_(ctx), prog_(ctx.program) {}

  void run() {
    // Propagate until nothing changes (each round can only fill in unknown types, so this
    // terminates), then one reporting round.
    for (int round = 0; round < 64; ++round) {
      changed_ = false;
      walkProgram();
      if (!changed_) break;
    }
    reporting_ = true;
    walkProgram();
    reportUnresolved();
  }

 private:
  // ---------------------------------------------------------------- unification

  void conflict(const SourceLocation& loc, const std::string& what, Type have, Type want,
                const SourceLocation& other) {
    if (!reporting_) return;
    Diagnostic& d = ctx_.diags.error(loc, "type mismatch: " + what + " is " + typeWord(want) +
                                              " here, but " + typeWord(have) + " elsewhere");
    if (other.valid()) Diagnostics::note(d, other, "its type was decided here");
  }

  // Gives a symbol slot a type, or reports a conflict.
  void unify(Type& slot, SourceLocation& slotLoc, Type t, const SourceLocation& loc,
             const std::string& what) {
    if (t == Type::Unknown) return;
    if (slot == Type::Unknown) {
      slot = t;
      slotLoc = loc;
      changed_ = true;
      return;
    }
    if (slot != t) conflict(loc, what, slot, t, slotLoc);
  }

  void unifySymbol(Symbol* s, Type t, const SourceLocation& loc) {
    if (s) unify(s->type, s->typeLoc, t, loc, "'" + s->name + "'");
  }

  void unifyKeys(Symbol* s, const std::vector<Expr*>& keys, const SourceLocation& loc) {
    if (!s) return;
    if (s->keyTypes.empty()) {
      s->keyTypes.assign(keys.size(), Type::Unknown);
      keyLocs_[s].assign(keys.size(), SourceLocation{});
      arityLoc_[s] = loc;
    }
    if (s->keyTypes.size() != keys.size()) {
      if (reporting_) {
        Diagnostic& d = ctx_.diags.error(
            loc, "array '" + s->name + "' is used with " + std::to_string(keys.size()) +
                     (keys.size() == 1 ? " key" : " keys") + " here, but with " +
                     std::to_string(s->keyTypes.size()) + " elsewhere");
        Diagnostics::note(d, arityLoc_[s], "first used here");
      }
      return;
    }
    auto& locs = keyLocs_[s];
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!keys[i]) continue;  // wildcard `*`
      Type t = infer(keys[i], s->keyTypes[i]);
      unify(s->keyTypes[i], locs[i], t, keys[i]->loc,
            "key " + std::to_string(i + 1) + " of array '" + s->name + "'");
    }
  }

  // Checks an expression against an expected type after inference.
  Type expect(Expr* e, Type want) {
    Type t = infer(e, want);
    if (want != Type::Unknown && t != Type::Unknown && t != want && reporting_)
      ctx_.diags.error(e->loc, "type mismatch: expected " + typeWord(want) + ", found " + typeWord(t));
    return t;
  }

  Type set(Expr* e, Type t) {
    if (t != Type::Unknown && e->type != t) {
      e->type = t;
      changed_ = true;
    }
    return e->type;
  }

  // ---------------------------------------------------------------- walking

  void walkProgram() {
    for (sema::DerivedProbe& p : prog_.probes) {
      probe_ = &p;
      function_ = nullptr;
      if (p.condition) expect(p.condition, Type::Long);
      stmt(p.body);
    }
    probe_ = nullptr;
    for (Function* f : prog_.functions) {
      function_ = f;
      if (f->body) stmt(f->body);
    }
    function_ = nullptr;
    for (Symbol* g : prog_.globals)
      if (g->init) unifySymbol(g, infer(g->init, Type::Unknown), g->init->loc);
  }

  void stmt(Stmt* s) {
    if (!s) return;
    switch (s->kind) {
      case Kind::Block:
        for (Stmt* c : static_cast<Block*>(s)->statements) stmt(c);
        break;
      case Kind::ExprStmt: infer(static_cast<ExprStmt*>(s)->expr, Type::Unknown); break;
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        expect(i->cond, Type::Long);
        stmt(i->thenStmt);
        stmt(i->elseStmt);
        break;
      }
      case Kind::ForStmt: {
        auto* f = static_cast<ForStmt*>(s);
        if (f->init) infer(f->init, Type::Unknown);
        if (f->cond) expect(f->cond, Type::Long);
        if (f->step) infer(f->step, Type::Unknown);
        stmt(f->body);
        break;
      }
      case Kind::ForeachStmt: foreach(static_cast<ForeachStmt*>(s)); break;
      case Kind::ReturnStmt: {
        auto* r = static_cast<ReturnStmt*>(s);
        if (!function_) break;
        if (r->value) {
          Type t = infer(r->value, function_->returnType);
          unify(function_->returnType, function_->typeLoc, t, r->value->loc,
                "the result of function '" + function_->name + "'");
        }
        break;
      }
      case Kind::DeleteStmt: {
        auto* d = static_cast<DeleteStmt*>(s);
        if (auto* a = as<ArrayIndex>(d->target)) {
          unifyKeys(prog_.symbolOf(a->base), a->indices, a->loc);
        } else if (!as<Variable>(d->target)) {
          if (reporting_) ctx_.diags.error(d->target->loc, "'delete' needs a variable, an array or an array element");
        }
        break;
      }
      case Kind::TryStmt: {
        auto* t = static_cast<TryStmt*>(s);
        stmt(t->body);
        if (t->catchVar) unifySymbol(prog_.symbolOf(t->catchVar), Type::String, t->catchVar->loc);
        stmt(t->handler);
        break;
      }
      default: break;
    }
  }

  void foreach(ForeachStmt* f) {
    if (auto* h = as<Histogram>(f->array)) {
      infer(h, Type::Unknown);
      for (Variable* k : f->keys) unifySymbol(prog_.symbolOf(k), Type::Long, k->loc);
      if (f->value) unifySymbol(prog_.symbolOf(f->value), Type::Long, f->value->loc);
    } else if (Symbol* a = prog_.symbolOf(f->array)) {
      std::vector<Expr*> keys(f->keys.begin(), f->keys.end());
      unifyKeys(a, keys, f->loc);
      if (!f->slice.empty()) unifyKeys(a, f->slice, f->loc);
      if (f->value) {
        Symbol* v = prog_.symbolOf(f->value);
        if (a->type != Type::Stats) {
          unifySymbol(v, a->type, f->value->loc);
          if (v && v->type != Type::Unknown)
            unify(a->type, a->typeLoc, v->type, f->value->loc, "'" + a->name + "'");
        }
      }
      if (f->sortAggregate != StatKind::None) unifySymbol(a, Type::Stats, f->loc);
    }
    if (f->limit) expect(f->limit, Type::Long);
    stmt(f->body);
  }

  // Infers the type of `e`, pushing `want` (the type the context needs) into symbols.
  Type infer(Expr* e, Type want) {
    switch (e->kind) {
      case Kind::NumberLiteral: return set(e, Type::Long);
      case Kind::StringLiteral: return set(e, Type::String);
      case Kind::Variable: {
        Symbol* s = prog_.symbolOf(e);
        if (!s) return Type::Unknown;
        if (s->isArray && reporting_)
          ctx_.diags.error(e->loc, "'" + s->name + "' is an array: index it, e.g. " + s->name + "[key]");
        if (s->type == Type::Stats && reporting_)
          ctx_.diags.error(e->loc, "'" + s->name + "' is a statistics aggregate: read it with @count, "
                                   "@sum, @min, @max or @avg");
        unifySymbol(s, want, e->loc);
        return set(e, s->type);
      }
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        if (auto* h = as<Histogram>(a->base)) {
          infer(h, Type::Unknown);
          for (Expr* i : a->indices) expect(i, Type::Long);
          return set(e, Type::Long);
        }
        Symbol* s = prog_.symbolOf(a->base);
        unifyKeys(s, a->indices, e->loc);
        if (!s) return Type::Unknown;
        if (s->type != Type::Stats) unifySymbol(s, want, e->loc);
        return set(e, s->type);
      }
      case Kind::FunctionCall: return call(static_cast<FunctionCall*>(e), want);
      case Kind::PrintCall: return print(static_cast<PrintCall*>(e));
      case Kind::Unary:
        expect(static_cast<Unary*>(e)->operand, Type::Long);
        return set(e, Type::Long);
      case Kind::IncDec: {
        Expr* operand = static_cast<IncDec*>(e)->operand;
        lvalue(operand, "'++' and '--'");
        expect(operand, Type::Long);
        return set(e, Type::Long);
      }
      case Kind::Binary: return binary(static_cast<Binary*>(e));
      case Kind::RegexMatch:
        expect(static_cast<RegexMatch*>(e)->subject, Type::String);
        return set(e, Type::Long);
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        expect(t->cond, Type::Long);
        Type a = infer(t->thenExpr, want);
        Type b = infer(t->elseExpr, a != Type::Unknown ? a : want);
        if (a == Type::Unknown && b != Type::Unknown) a = infer(t->thenExpr, b);
        if (a != Type::Unknown && b != Type::Unknown && a != b && reporting_)
          ctx_.diags.error(e->loc, "the two results of '?:' have different types (" + typeWord(a) +
                                       " and " + typeWord(b) + ")");
        return set(e, a != Type::Unknown ? a : b);
      }
      case Kind::Assignment: return assignment(static_cast<Assignment*>(e), want);
      case Kind::ArrayIn: {
        ArrayIndex* el = static_cast<ArrayIn*>(e)->element;
        if (auto* h = as<Histogram>(el->base)) {
          infer(h, Type::Unknown);
          for (Expr* i : el->indices)
            if (i) expect(i, Type::Long);
        } else {
          unifyKeys(prog_.symbolOf(el->base), el->indices, el->loc);
        }
        return set(e, Type::Long);
      }
      case Kind::StatOp: {
        auto* s = static_cast<StatOp*>(e);
        statistic(s->operand);
        return set(e, Type::Long);
      }
      case Kind::Histogram:
        statistic(static_cast<Histogram*>(e)->operand);
        linearRange(static_cast<Histogram*>(e));
        return e->type;
      case Kind::TargetVariable:
      case Kind::CastOp:
      case Kind::AtVar:
      case Kind::AutoCast: return target(static_cast<TargetExpr*>(e));
      case Kind::DefinedOp: return set(e, Type::Long);
      case Kind::EntryOp: return set(e, infer(static_cast<EntryOp*>(e)->operand, want));
      case Kind::EmbeddedExpr:
        // `%{ /* string */ ... %}` declares a string result, as in SystemTap.
        return set(e, static_cast<EmbeddedExpr*>(e)->code.find("/* string */") != std::string::npos
                          ? Type::String : Type::Long);
      case Kind::PerfOp:
      case Kind::ConstOp:
      case Kind::RegisterOp: return set(e, Type::Long);
      case Kind::DerefOp:
        expect(static_cast<DerefOp*>(e)->address, Type::Long);
        return set(e, Type::Long);
      case Kind::ProbewriteOp: return set(e, Type::Long);
      default: return Type::Unknown;
    }
  }

  void statistic(Expr* operand) {
    if (auto* a = as<ArrayIndex>(operand)) {
      Symbol* s = prog_.symbolOf(a->base);
      unifyKeys(s, a->indices, a->loc);
      unifySymbol(s, Type::Stats, a->loc);
      a->type = Type::Stats;
    } else if (auto* v = as<Variable>(operand)) {
      unifySymbol(prog_.symbolOf(v), Type::Stats, v->loc);
      v->type = Type::Stats;
    } else if (reporting_) {
      ctx_.diags.error(operand->loc, "expected a statistics aggregate (a global used with '<<<')");
    }
  }

  // In a probe BPF cannot express at all (procfs, whose `$value` is a string: the file's
  // contents), the probe point is the error, not the types of its target variables.  The
  // C backend reports it too, but elaboration stops before it.
  bool inUnsupportedProbe() {
    if (!probe_ || probe_->point.kind != sema::ProbeKind::Unsupported) return false;
    if (reporting_ && unsupportedProbes_.insert(probe_).second)
      ctx_.diags.error(probe_->point.loc, "probe point " + probe_->point.text + " cannot be expressed in BPF: " +
                                              (probe_->point.unsupportedReason.empty()
                                                   ? "unsupported probe type"
                                                   : probe_->point.unsupportedReason));
    return true;
  }

  // SystemTap's runtime refuses these ranges when the module starts
  // (_stp_stat_calc_buckets in runtime/stat-common.c); here they are refused before any
  // backend sizes a map for them.
  void linearRange(const Histogram* h) {
    if (h->histKind != HistogramKind::Linear || !reporting_) return;
    if (h->interval == 0) {
      ctx_.diags.error(h->loc, "@hist_linear with a zero interval is not valid");
    } else if (h->interval < 0) {
      ctx_.diags.error(h->loc, "@hist_linear with a negative step is not supported");
    } else {
      // Underflow and overflow take two buckets more; 128 at most (STP_MAX_BUCKETS).
      int64_t buckets = (h->stop - h->start) / h->interval + 3;
      if (buckets < 3 || buckets > 128)
        ctx_.diags.error(h->loc, "@hist_linear(" + std::to_string(h->start) + ", " + std::to_string(h->stop) +
                                     ", " + std::to_string(h->interval) + ") has " + std::to_string(buckets - 2) +
                                     " buckets; SystemTap allows 1 to 126 (start < stop, STP_MAX_BUCKETS in "
                                     "runtime/stat.h)");
    }
  }

  void lvalue(Expr* e, const char* what) {
    if (isLvalue(e) || !reporting_) return;
    ctx_.diags.error(e->loc, std::string(what) + " needs a variable or an array element");
  }

  Type assignment(Assignment* a, Type want) {
    lvalue(a->target, "assignment");
    if (auto* t = as<TargetExpr>(a->target); t && reporting_) {
      if (inUnsupportedProbe()) return set(a, Type::Unknown);
      ctx_.diags.error(a->loc, "assigning to a target variable (guru-mode patching of kernel or "
                               "process memory) cannot be expressed in BPF tracing programs");
    }
    BinaryOp op;
    if (a->op == AssignOp::Aggregate) {
      statistic(a->target);
      expect(a->value, Type::Long);
      return set(a, Type::Long);
    }
    if (a->op == AssignOp::Concat) {
      expect(a->target, Type::String);
      expect(a->value, Type::String);
      return set(a, Type::String);
    }
    if (compoundBinaryOp(a->op, op)) {
      expect(a->target, Type::Long);
      expect(a->value, Type::Long);
      return set(a, Type::Long);
    }
    // Plain `=`: both sides share a type.
    Type tt = infer(a->target, want);
    Type vt = infer(a->value, tt);
    if (tt == Type::Unknown && vt != Type::Unknown) tt = infer(a->target, vt);
    if (tt != Type::Unknown && vt != Type::Unknown && tt != vt && reporting_) {
      std::string name = as<Variable>(a->target) ? "'" + static_cast<Variable*>(a->target)->name + "'"
                                                 : std::string("the target");
      ctx_.diags.error(a->loc, "type mismatch: assigning " + typeWord(vt) + " to " + name +
                                   ", which is " + typeWord(tt));
    }
    return set(a, tt != Type::Unknown ? tt : vt);
  }

  Type binary(Binary* b) {
    switch (b->op) {
      case BinaryOp::Concat:
        expect(b->left, Type::String);
        expect(b->right, Type::String);
        return set(b, Type::String);
      case BinaryOp::Lt: case BinaryOp::Le: case BinaryOp::Gt: case BinaryOp::Ge:
      case BinaryOp::Eq: case BinaryOp::Ne: {
        Type l = infer(b->left, Type::Unknown);
        Type r = infer(b->right, l);
        if (l == Type::Unknown && r != Type::Unknown) l = infer(b->left, r);
        if (l != Type::Unknown && r != Type::Unknown && l != r && reporting_)
          ctx_.diags.error(b->loc, "cannot compare " + typeWord(l) + " with " + typeWord(r));
        if ((l == Type::Stats || r == Type::Stats) && reporting_)
          ctx_.diags.error(b->loc, "statistics aggregates cannot be compared");
        return set(b, Type::Long);
      }
      default:
        expect(b->left, Type::Long);
        expect(b->right, Type::Long);
        return set(b, Type::Long);
    }
  }

  Type call(FunctionCall* c, Type want) {
    auto it = prog_.calls.find(c);
    if (it == prog_.calls.end()) return Type::Unknown;
    if (const tapset::Builtin* b = it->second.builtin) {
      for (size_t i = 0; i < c->args.size(); ++i)
        expect(c->args[i], i < b->params.size() ? b->params[i] : Type::Unknown);
      // A builtin without a result (exit(), warn()) still has a value when used in an
      // expression (`count && exit()`): 0, as in SystemTap.
      return set(c, b->result == Type::Unknown && want != Type::Unknown ? Type::Long : b->result);
    }
    Function* f = it->second.function;
    for (size_t i = 0; i < c->args.size() && i < f->params.size(); ++i) {
      Symbol* p = f->params[i];
      Type t = infer(c->args[i], p->type);
      unifySymbol(p, t, c->args[i]->loc);
    }
    unify(f->returnType, f->typeLoc, want, c->loc, "the result of function '" + f->name + "'");
    return set(c, f->returnType);
  }

  Type print(PrintCall* p) {
    if (p->histogram) infer(p->histogram, Type::Unknown);
    if (printKindHasFormat(p->printKind)) {
      std::vector<FormatSpec> specs;
      FormatParseError error;
      if (parsePrintFormat(p->formatOrDelimiter, specs, error)) {
        size_t arg = 0;
        for (const FormatSpec& s : specs) {
          if (s.conv == FormatSpec::Conv::Literal) continue;
          auto take = [&](Type t) {
            if (arg < p->args.size()) expect(p->args[arg], t);
            ++arg;
          };
          if (s.widthKind == FormatSpec::Size::Dynamic) take(Type::Long);
          if (s.precisionKind == FormatSpec::Size::Dynamic) take(Type::Long);
          take(s.conv == FormatSpec::Conv::String ? Type::String : Type::Long);
        }
        if (arg != p->args.size() && reporting_)
          ctx_.diags.error(p->loc, "the format of '" + std::string(printKindName(p->printKind)) +
                                       "' needs " + std::to_string(arg) +
                                       (arg == 1 ? " value" : " values") + ", but " +
                                       std::to_string(p->args.size()) + " are given");
      }
    } else {
      for (Expr* a : p->args) {
        Type t = infer(a, Type::Unknown);
        if (t == Type::Stats && reporting_)
          ctx_.diags.error(a->loc, "a statistics aggregate cannot be printed directly: print "
                                   "@count(x), @sum(x), ... or @hist_log(x)");
      }
    }
    return set(p, printKindReturnsString(p->printKind) ? Type::String : Type::Unknown);
  }

  // Target expressions: kernel data read as a number, except char arrays of tracepoints
  // (strings) and the pretty-printing forms `$$vars`, `$var$` (strings).
  Type target(TargetExpr* t) {
    if (inUnsupportedProbe()) return set(t, Type::Unknown);
    for (auto& comp : t->components)
      if (comp.index) expect(comp.index, Type::Long);
    auto access = prog_.targets.find(t);
    if (access != prog_.targets.end() && access->second.error.empty()) {
      if (auto* c = as<CastOp>(t)) expect(c->operand, Type::Long);
      return set(t, access->second.isString ? Type::String : Type::Long);
    }
    if (auto* v = as<TargetVariable>(t)) {
      if (v->name.rfind("$$", 0) == 0) return set(t, Type::String);
      if (probe_ && probe_->point.kind == sema::ProbeKind::Tracepoint && v->components.empty()) {
        const tapset::TracepointFormat* fmt =
            ctx_.kernel.tracepointFormat(probe_->point.system, probe_->point.event);
        const tapset::TracepointField* f = fmt ? fmt->field(v->name.substr(1)) : nullptr;
        if (f && (f->isDataLoc || (f->arrayLength > 0 && f->type.find("char") != std::string::npos)))
          return set(t, Type::String);
      }
    }
    if (auto* c = as<CastOp>(t)) expect(c->operand, Type::Long);
    if (auto* a = as<AutoCast>(t)) expect(a->operand, Type::Long);
    if (!t->components.empty() && t->components.back().kind == TargetComponent::Kind::PrettyPrint)
      return set(t, Type::String);
    return set(t, Type::Long);
  }

  void reportUnresolved() {
    auto check = [&](Symbol* s, const char* what) {
      if (s->type != Type::Unknown) return;
      if (s->kind == sema::SymbolKind::Global && !s->read && !s->written && !usedGlobal(s)) return;
      ctx_.diags.error(s->declLoc, std::string("cannot tell the type of ") + what + " '" + s->name +
                                       "': it is never given a value of a known type");
    };
    for (sema::DerivedProbe& p : prog_.probes)
      for (Symbol* s : p.locals) check(s, "local variable");
    for (Function* f : prog_.functions)
      for (Symbol* s : f->locals) check(s, "variable");
    for (Symbol* g : prog_.globals)
      if (usedGlobal(g)) check(g, "global");
  }

  bool usedGlobal(Symbol* g) {
    for (const auto& [node, s] : prog_.symbols)
      if (s == g) return true;
    return false;
  }

  PassContext& ctx_;
  sema::Program& prog_;
  bool changed_ = false;
  bool reporting_ = false;
  sema::DerivedProbe* probe_ = nullptr;
  std::set<const sema::DerivedProbe*> unsupportedProbes_;  // reported already
  Function* function_ = nullptr;
  std::map<Symbol*, std::vector<SourceLocation>> keyLocs_;
  std::map<Symbol*, SourceLocation> arityLoc_;
};

}  // namespace

void inferTypes(PassContext& ctx) { TypeInference(ctx).run(); }

}  // namespace stp2bpf::passes
