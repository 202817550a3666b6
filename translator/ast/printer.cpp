#include "ast/printer.h"

#include <sstream>

#include "common/strings.h"

namespace stp2bpf::ast {

namespace {

// SystemTap's precedence levels (see grammar/StapParser.g4), loosest first.
enum Prec : int {
  kTop = 0,  // a whole expression in statement position: never parenthesized
  kAssign = 1, kTernary, kLogicalOr, kLogicalAnd, kBitOr, kBitXor, kBitAnd, kIn,
  kComparison, kShift, kConcat, kAdditive, kMultiplicative, kUnary, kPostfix, kPrimary
};

int binaryPrec(BinaryOp op) {
  switch (op) {
    case BinaryOp::LogicalOr: return kLogicalOr;
    case BinaryOp::LogicalAnd: return kLogicalAnd;
    case BinaryOp::BitOr: return kBitOr;
    case BinaryOp::BitXor: return kBitXor;
    case BinaryOp::BitAnd: return kBitAnd;
    case BinaryOp::Lt: case BinaryOp::Le: case BinaryOp::Gt: case BinaryOp::Ge:
    case BinaryOp::Eq: case BinaryOp::Ne: return kComparison;
    case BinaryOp::Shl: case BinaryOp::Shr: case BinaryOp::UShr: return kShift;
    case BinaryOp::Concat: return kConcat;
    case BinaryOp::Add: case BinaryOp::Sub: return kAdditive;
    case BinaryOp::Mul: case BinaryOp::Div: case BinaryOp::Mod: return kMultiplicative;
  }
  return kPrimary;
}

int precedence(const Expr* e) {
  switch (e->kind) {
    case Kind::Assignment: return kAssign;
    case Kind::Ternary: return kTernary;
    case Kind::Binary: return binaryPrec(static_cast<const Binary*>(e)->op);
    case Kind::ArrayIn: return kIn;
    case Kind::RegexMatch: return kComparison;
    case Kind::Unary:
    case Kind::IncDec: return kUnary;
    case Kind::NumberLiteral: return static_cast<const NumberLiteral*>(e)->value < 0 ? kUnary : kPrimary;
    case Kind::TargetVariable:
    case Kind::CastOp:
    case Kind::AtVar:
    case Kind::AutoCast: {
      auto* t = static_cast<const TargetExpr*>(e);
      if (t->addressOf) return kUnary;
      return t->components.empty() && e->kind != Kind::AutoCast ? kPrimary : kPostfix;
    }
    default: return kPrimary;
  }
}

class Printer {
 public:
  Printer(std::ostream& out, const PrintOptions& o) : out_(out), opt_(o) {}

  void script(const Script& s);
  void decl(const Decl& d);
  void statement(const Stmt& s);
  void expr(const Expr& e, int minPrec = kTop);

 private:
  void line() { out_ << '\n'; }
  void indent() {
    for (int i = 0; i < depth_; ++i) out_ << opt_.indent;
  }
  void block(const Block& b);  // "{ ... }" starting on the current line
  void body(const Stmt& s);    // a statement after `if (...)`, `for (...)`: same line if a block
  void probePoint(const ProbePoint& p);
  void probePoints(const std::vector<ProbePoint*>& points);
  void targetComponents(const TargetExpr& t);
  void exprList(const std::vector<Expr*>& list);
  void arrayKeys(const std::vector<Expr*>& keys, int minPrec);
  static bool endsWithOpenIf(const Stmt* s);

  std::ostream& out_;
  const PrintOptions& opt_;
  int depth_ = 0;
};

void Printer::script(const Script& s) {
  const Decl* previous = nullptr;
  for (const Decl* d : s.decls) {
    bool bothGlobals = previous && previous->kind == Kind::GlobalDecl && d->kind == Kind::GlobalDecl;
    if (previous && !bothGlobals) line();
    decl(*d);
    previous = d;
  }
}

void Printer::decl(const Decl& d) {
  switch (d.kind) {
    case Kind::GlobalDecl: {
      auto& g = static_cast<const GlobalDecl&>(d);
      out_ << (g.isPrivate ? "private global " : "global ") << g.name;
      if (g.wrap) out_ << '%';
      if (g.maxEntries) out_ << '[' << g.maxEntries << ']';
      if (g.init) {
        out_ << " = ";
        expr(*g.init);
      }
      line();
      break;
    }
    case Kind::FunctionDecl: {
      auto& f = static_cast<const FunctionDecl&>(d);
      if (f.isPrivate) out_ << "private ";
      out_ << "function " << f.name;
      if (f.returnType != DeclType::Unspecified)
        out_ << (f.returnType == DeclType::Long ? ":long" : ":string");
      out_ << " (";
      for (size_t i = 0; i < f.params.size(); ++i) {
        if (i) out_ << ", ";
        out_ << f.params[i].name;
        if (f.params[i].type != DeclType::Unspecified)
          out_ << (f.params[i].type == DeclType::Long ? ":long" : ":string");
      }
      out_ << ")";
      if (f.hasPriority) out_ << " : " << f.priority;
      out_ << ' ';
      if (f.embedded) out_ << "%{" << f.embedded->code << "%}";
      else block(*f.body);
      line();
      break;
    }
    case Kind::ProbeDecl: {
      auto& p = static_cast<const ProbeDecl&>(d);
      out_ << "probe ";
      probePoints(p.points);
      out_ << ' ';
      block(*p.body);
      line();
      break;
    }
    case Kind::ProbeAliasDecl: {
      auto& a = static_cast<const ProbeAliasDecl&>(d);
      out_ << "probe ";
      probePoints(a.names);
      out_ << (a.epilogueStyle ? " += " : " = ");
      probePoints(a.points);
      out_ << ' ';
      block(*a.body);
      if (a.epilogue) {
        out_ << ", ";
        block(*a.epilogue);
      }
      line();
      break;
    }
    case Kind::EmbeddedCode:
      out_ << "%{" << static_cast<const EmbeddedCode&>(d).code << "%}";
      line();
      break;
    case Kind::ProbePoint:
      probePoint(static_cast<const ProbePoint&>(d));
      break;
    case Kind::Script:
      script(static_cast<const Script&>(d));
      break;
    default:
      break;
  }
}

void Printer::probePoints(const std::vector<ProbePoint*>& points) {
  for (size_t i = 0; i < points.size(); ++i) {
    if (i) out_ << ", ";
    probePoint(*points[i]);
  }
}

void Printer::probePoint(const ProbePoint& p) {
  for (size_t i = 0; i < p.components.size(); ++i) {
    if (i) out_ << '.';
    out_ << p.components[i].name;
    if (p.components[i].arg) {
      out_ << '(';
      expr(*p.components[i].arg);
      out_ << ')';
    }
  }
  if (p.sufficient) out_ << '!';
  else if (p.optional) out_ << '?';
  if (p.condition) {
    out_ << " if (";
    expr(*p.condition);
    out_ << ')';
  }
}

void Printer::block(const Block& b) {
  out_ << '{';
  line();
  ++depth_;
  for (const Stmt* s : b.statements) {
    indent();
    statement(*s);
    line();
  }
  --depth_;
  indent();
  out_ << '}';
}

void Printer::body(const Stmt& s) {
  if (s.kind == Kind::Block) {
    out_ << ' ';
    block(static_cast<const Block&>(s));
    return;
  }
  line();
  ++depth_;
  indent();
  statement(s);
  --depth_;
}

// True if `s` is (or ends in) an `if` without `else`, which would capture a following
// `else` when printed.
bool Printer::endsWithOpenIf(const Stmt* s) {
  while (s) {
    switch (s->kind) {
      case Kind::IfStmt: {
        auto* i = static_cast<const IfStmt*>(s);
        if (!i->elseStmt) return true;
        s = i->elseStmt;
        break;
      }
      case Kind::ForStmt: s = static_cast<const ForStmt*>(s)->body; break;
      case Kind::ForeachStmt: s = static_cast<const ForeachStmt*>(s)->body; break;
      default: return false;
    }
  }
  return false;
}

void Printer::statement(const Stmt& s) {
  switch (s.kind) {
    case Kind::Block: block(static_cast<const Block&>(s)); break;
    case Kind::NullStmt: out_ << ';'; break;
    case Kind::ExprStmt:
      expr(*static_cast<const ExprStmt&>(s).expr);
      out_ << ';';
      break;
    case Kind::IfStmt: {
      auto& i = static_cast<const IfStmt&>(s);
      out_ << "if (";
      expr(*i.cond);
      out_ << ')';
      if (i.elseStmt && endsWithOpenIf(i.thenStmt)) {
        // Keep the else with this if: brace the inner one.
        out_ << " {";
        line();
        ++depth_;
        indent();
        statement(*i.thenStmt);
        line();
        --depth_;
        indent();
        out_ << '}';
      } else {
        body(*i.thenStmt);
      }
      if (i.elseStmt) {
        if (i.thenStmt->kind == Kind::Block) out_ << ' ';
        else {
          line();
          indent();
        }
        out_ << "else";
        if (i.elseStmt->kind == Kind::IfStmt) {
          out_ << ' ';
          statement(*i.elseStmt);
        } else {
          body(*i.elseStmt);
        }
      }
      break;
    }
    case Kind::ForStmt: {
      auto& f = static_cast<const ForStmt&>(s);
      if (f.isWhile) {
        out_ << "while (";
        if (f.cond) expr(*f.cond);
        out_ << ')';
      } else {
        out_ << "for (";
        if (f.init) expr(*f.init);
        out_ << "; ";
        if (f.cond) expr(*f.cond);
        out_ << "; ";
        if (f.step) expr(*f.step);
        out_ << ')';
      }
      if (f.body->kind == Kind::NullStmt) out_ << " ;";
      else body(*f.body);
      break;
    }
    case Kind::ForeachStmt: {
      auto& f = static_cast<const ForeachStmt&>(s);
      out_ << "foreach (";
      if (f.value) out_ << f.value->name << " = ";
      bool brackets = f.bracketedKeys || f.keys.size() != 1;
      if (brackets) out_ << '[';
      for (size_t i = 0; i < f.keys.size(); ++i) {
        if (i) out_ << ", ";
        out_ << f.keys[i]->name;
        if (f.sortDirection && f.sortColumn == static_cast<int>(i) + 1)
          out_ << (f.sortDirection > 0 ? '+' : '-');
      }
      if (brackets) out_ << ']';
      out_ << " in ";
      expr(*f.array, kPrimary);
      if (!f.slice.empty()) {
        out_ << '[';
        arrayKeys(f.slice, kAssign);
        out_ << ']';
      }
      if (f.sortDirection && f.sortColumn == 0) {
        if (f.sortAggregate != StatKind::None) out_ << ' ' << statKindSpelling(f.sortAggregate);
        out_ << (f.sortDirection > 0 ? '+' : '-');
      }
      if (f.limit) {
        out_ << " limit ";
        expr(*f.limit);
      }
      out_ << ')';
      if (f.body->kind == Kind::NullStmt) out_ << " ;";
      else body(*f.body);
      break;
    }
    case Kind::ReturnStmt: {
      auto& r = static_cast<const ReturnStmt&>(s);
      out_ << "return";
      if (r.value) {
        out_ << ' ';
        expr(*r.value);
      }
      out_ << ';';
      break;
    }
    case Kind::DeleteStmt:
      out_ << "delete ";
      expr(*static_cast<const DeleteStmt&>(s).target);
      out_ << ';';
      break;
    case Kind::NextStmt: out_ << "next;"; break;
    case Kind::BreakStmt: out_ << "break;"; break;
    case Kind::ContinueStmt: out_ << "continue;"; break;
    case Kind::LoopStmt: {
      // Not SystemTap syntax: lowered loops only appear in -p2/-p3 dumps.
      auto& lp = static_cast<const LoopStmt&>(s);
      out_ << "loop /* " << lp.origin << ", at most " << lp.bound
           << (lp.boundIsExact ? " (exact)" : " (checked)") << " */ ";
      block(*lp.body);
      if (lp.step) {
        out_ << " step ";
        block(*lp.step);
      }
      break;
    }
    case Kind::TryStmt: {
      auto& t = static_cast<const TryStmt&>(s);
      out_ << "try ";
      block(*t.body);
      out_ << " catch ";
      if (t.catchVar) out_ << '(' << t.catchVar->name << ") ";
      block(*t.handler);
      break;
    }
    default: break;
  }
}

void Printer::exprList(const std::vector<Expr*>& list) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out_ << ", ";
    expr(*list[i], kAssign);
  }
}

void Printer::arrayKeys(const std::vector<Expr*>& keys, int minPrec) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out_ << ", ";
    if (keys[i]) expr(*keys[i], minPrec);
    else out_ << '*';
  }
}

void Printer::targetComponents(const TargetExpr& t) {
  for (const TargetComponent& c : t.components) {
    switch (c.kind) {
      case TargetComponent::Kind::Member: out_ << "->" << c.name; break;
      case TargetComponent::Kind::Index:
        out_ << '[';
        expr(*c.index);
        out_ << ']';
        break;
      case TargetComponent::Kind::PrettyPrint: out_ << c.name; break;
    }
  }
}

void Printer::expr(const Expr& e, int minPrec) {
  int prec = precedence(&e);
  // Fully parenthesized: every operator expression, but not literals or postfix chains.
  bool compound = prec <= kUnary && e.kind != Kind::NumberLiteral;
  bool parens = prec < minPrec || (opt_.fullyParenthesized && compound && minPrec > kTop);
  if (parens) out_ << '(';
  switch (e.kind) {
    case Kind::NumberLiteral: out_ << static_cast<const NumberLiteral&>(e).value; break;
    case Kind::StringLiteral: out_ << quoteString(static_cast<const StringLiteral&>(e).value); break;
    case Kind::Variable: out_ << static_cast<const Variable&>(e).name; break;
    case Kind::ArrayIndex: {
      auto& a = static_cast<const ArrayIndex&>(e);
      expr(*a.base, kPrimary);
      out_ << '[';
      arrayKeys(a.indices, kAssign);
      out_ << ']';
      break;
    }
    case Kind::FunctionCall: {
      auto& c = static_cast<const FunctionCall&>(e);
      out_ << c.name << '(';
      exprList(c.args);
      out_ << ')';
      break;
    }
    case Kind::PrintCall: {
      auto& p = static_cast<const PrintCall&>(e);
      out_ << printKindName(p.printKind) << '(';
      bool first = true;
      if (printKindHasFormat(p.printKind) || printKindHasDelimiter(p.printKind)) {
        out_ << quoteString(p.formatOrDelimiter);
        first = false;
      }
      if (p.histogram) {
        expr(*p.histogram);
        first = false;
      }
      for (const Expr* a : p.args) {
        if (!first) out_ << ", ";
        expr(*a);
        first = false;
      }
      out_ << ')';
      break;
    }
    case Kind::Unary: {
      auto& u = static_cast<const Unary&>(e);
      out_ << unaryOpSpelling(u.op);
      if (u.op != UnaryOp::Minus && u.op != UnaryOp::Plus) {
        expr(*u.operand, kUnary);
        break;
      }
      // Keep `- -x` apart: `--x` would be a decrement.  The operand is printed once, into a
      // string, to see how it starts (printing it twice, to look and then to write, took
      // time exponential in the number of nested signs).
      std::ostringstream operandText;
      Printer(operandText, opt_).expr(*u.operand, kUnary);
      std::string operand = operandText.str();
      if (!operand.empty() && (operand[0] == '-' || operand[0] == '+')) out_ << ' ';
      out_ << operand;
      break;
    }
    case Kind::IncDec: {
      auto& i = static_cast<const IncDec&>(e);
      const char* op = i.increment ? "++" : "--";
      if (i.prefix) out_ << op;
      expr(*i.operand, kPostfix);
      if (!i.prefix) out_ << op;
      break;
    }
    case Kind::Binary: {
      auto& b = static_cast<const Binary&>(e);
      expr(*b.left, prec);
      out_ << ' ' << binaryOpSpelling(b.op) << ' ';
      expr(*b.right, prec + 1);
      break;
    }
    case Kind::RegexMatch: {
      auto& r = static_cast<const RegexMatch&>(e);
      expr(*r.subject, kShift);
      out_ << (r.negated ? " !~ " : " =~ ") << quoteString(r.pattern);
      break;
    }
    case Kind::Ternary: {
      auto& t = static_cast<const Ternary&>(e);
      expr(*t.cond, kLogicalOr);
      out_ << " ? ";
      expr(*t.thenExpr, kAssign);
      out_ << " : ";
      expr(*t.elseExpr, kTernary);
      break;
    }
    case Kind::Assignment: {
      auto& a = static_cast<const Assignment&>(e);
      expr(*a.target, kTernary);
      out_ << ' ' << assignOpSpelling(a.op) << ' ';
      expr(*a.value, kAssign);
      break;
    }
    case Kind::ArrayIn: {
      auto& a = static_cast<const ArrayIn&>(e);
      const auto& keys = a.element->indices;
      bool brackets = keys.size() != 1 || !keys[0];
      if (brackets) out_ << '[';
      arrayKeys(keys, kComparison);
      if (brackets) out_ << ']';
      out_ << " in ";
      expr(*a.element->base, kPrimary);
      break;
    }
    case Kind::StatOp: {
      auto& s = static_cast<const StatOp&>(e);
      out_ << statKindSpelling(s.stat) << '(';
      expr(*s.operand);
      for (int64_t p : s.params) out_ << ", " << p;
      out_ << ')';
      break;
    }
    case Kind::Histogram: {
      auto& h = static_cast<const Histogram&>(e);
      out_ << (h.histKind == HistogramKind::Log ? "@hist_log(" : "@hist_linear(");
      expr(*h.operand);
      if (h.histKind == HistogramKind::Linear)
        out_ << ", " << h.start << ", " << h.stop << ", " << h.interval;
      out_ << ')';
      break;
    }
    case Kind::TargetVariable:
    case Kind::CastOp:
    case Kind::AtVar:
    case Kind::AutoCast: {
      auto& t = static_cast<const TargetExpr&>(e);
      if (t.addressOf) out_ << '&';
      if (auto* v = as<TargetVariable>(&e)) {
        out_ << v->name;
      } else if (auto* c = as<CastOp>(&e)) {
        out_ << "@cast(";
        expr(*c->operand);
        out_ << ", " << quoteString(c->typeName);
        if (!c->module.empty()) out_ << ", " << quoteString(c->module);
        out_ << ')';
      } else if (auto* v = as<AtVar>(&e)) {
        out_ << "@var(" << quoteString(v->name);
        if (!v->module.empty()) out_ << ", " << quoteString(v->module);
        out_ << ')';
      } else if (auto* a = as<AutoCast>(&e)) {
        // A plain variable keeps its parentheses before `[` or `$`: `(v)[0]` indexes the
        // value of v (an autocast), while `v[0]` is an array element and `v$` one name.
        bool glued = a->operand->kind == Kind::Variable && !t.components.empty() &&
                     t.components.front().kind != TargetComponent::Kind::Member;
        if (glued) out_ << '(';
        expr(*a->operand, glued ? kTop : kPrimary);
        if (glued) out_ << ')';
      }
      targetComponents(t);
      break;
    }
    case Kind::DefinedOp:
      out_ << "@defined(";
      expr(*static_cast<const DefinedOp&>(e).operand);
      out_ << ')';
      break;
    case Kind::EntryOp:
      out_ << "@entry(";
      expr(*static_cast<const EntryOp&>(e).operand);
      out_ << ')';
      break;
    case Kind::PerfOp: out_ << "@perf(" << quoteString(static_cast<const PerfOp&>(e).counter) << ')'; break;
    case Kind::ConstOp: out_ << "@const(" << quoteString(static_cast<const ConstOp&>(e).code) << ')'; break;
    case Kind::ProbewriteOp: out_ << "@probewrite(" << static_cast<const ProbewriteOp&>(e).name << ')'; break;
    case Kind::RegisterOp: {
      auto& r = static_cast<const RegisterOp&>(e);
      out_ << (r.userSpace ? "@uregister(" : "@kregister(") << r.regno << ')';
      break;
    }
    case Kind::DerefOp: {
      auto& d = static_cast<const DerefOp&>(e);
      out_ << (d.userSpace ? "@uderef(" : "@kderef(") << d.size << ", ";
      expr(*d.address);
      out_ << ')';
      break;
    }
    case Kind::EmbeddedExpr: out_ << "%{" << static_cast<const EmbeddedExpr&>(e).code << "%}"; break;
    default: break;
  }
  if (parens) out_ << ')';
}

}  // namespace

void printScript(std::ostream& out, const Script& script, const PrintOptions& options) {
  Printer p(out, options);
  p.script(script);
}

std::string printToString(const Node& node, const PrintOptions& options) {
  std::ostringstream out;
  Printer p(out, options);
  if (auto* e = as<Expr>(&node)) p.expr(*e);
  else if (auto* s = as<Stmt>(&node)) p.statement(*s);
  else if (auto* d = as<Decl>(&node)) p.decl(*d);
  return out.str();
}

}  // namespace stp2bpf::ast
