#include "ast/ast.h"

#include "ast/visitor.h"

namespace stp2bpf::ast {

const char* kindName(Kind k) {
  switch (k) {
#define X(name) \
  case Kind::name: return #name;
    AST_NODE_KINDS(X)
#undef X
  }
  return "?";
}

const char* typeName(Type t) {
  switch (t) {
    case Type::Unknown: return "unknown";
    case Type::Long: return "long";
    case Type::String: return "string";
    case Type::Stats: return "stats";
  }
  return "?";
}

#define X(name) \
  void name::accept(Visitor& v) { v.visit(*this); }
AST_NODE_KINDS(X)
#undef X

namespace {
struct PrintKindInfo {
  const char* name;
  bool returnsString, hasFormat, hasDelimiter, addsNewline;
};
// Indexed by PrintKind.
constexpr PrintKindInfo kPrintKinds[] = {
    {"print", false, false, false, false},   {"println", false, false, false, true},
    {"printf", false, true, false, false},   {"printd", false, false, true, false},
    {"printdln", false, false, true, true},  {"sprint", true, false, false, false},
    {"sprintln", true, false, false, true},  {"sprintf", true, true, false, false},
    {"sprintd", true, false, true, false},   {"sprintdln", true, false, true, true},
};
}  // namespace

const char* printKindName(PrintKind k) { return kPrintKinds[static_cast<int>(k)].name; }
bool printKindReturnsString(PrintKind k) { return kPrintKinds[static_cast<int>(k)].returnsString; }
bool printKindHasFormat(PrintKind k) { return kPrintKinds[static_cast<int>(k)].hasFormat; }
bool printKindHasDelimiter(PrintKind k) { return kPrintKinds[static_cast<int>(k)].hasDelimiter; }
bool printKindAddsNewline(PrintKind k) { return kPrintKinds[static_cast<int>(k)].addsNewline; }

const char* unaryOpSpelling(UnaryOp op) {
  switch (op) {
    case UnaryOp::Plus: return "+";
    case UnaryOp::Minus: return "-";
    case UnaryOp::Not: return "!";
    case UnaryOp::BitNot: return "~";
  }
  return "?";
}

const char* binaryOpSpelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Shl: return "<<";
    case BinaryOp::Shr: return ">>";
    case BinaryOp::UShr: return ">>>";
    case BinaryOp::BitAnd: return "&";
    case BinaryOp::BitOr: return "|";
    case BinaryOp::BitXor: return "^";
    case BinaryOp::Concat: return ".";
    case BinaryOp::LogicalAnd: return "&&";
    case BinaryOp::LogicalOr: return "||";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
  }
  return "?";
}

bool isComparison(BinaryOp op) {
  return op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt ||
         op == BinaryOp::Ge || op == BinaryOp::Eq || op == BinaryOp::Ne;
}

const char* assignOpSpelling(AssignOp op) {
  switch (op) {
    case AssignOp::Assign: return "=";
    case AssignOp::Add: return "+=";
    case AssignOp::Sub: return "-=";
    case AssignOp::Mul: return "*=";
    case AssignOp::Div: return "/=";
    case AssignOp::Mod: return "%=";
    case AssignOp::Shl: return "<<=";
    case AssignOp::Shr: return ">>=";
    case AssignOp::BitAnd: return "&=";
    case AssignOp::BitXor: return "^=";
    case AssignOp::BitOr: return "|=";
    case AssignOp::Concat: return ".=";
    case AssignOp::Aggregate: return "<<<";
  }
  return "?";
}

bool compoundBinaryOp(AssignOp op, BinaryOp& out) {
  switch (op) {
    case AssignOp::Add: out = BinaryOp::Add; return true;
    case AssignOp::Sub: out = BinaryOp::Sub; return true;
    case AssignOp::Mul: out = BinaryOp::Mul; return true;
    case AssignOp::Div: out = BinaryOp::Div; return true;
    case AssignOp::Mod: out = BinaryOp::Mod; return true;
    case AssignOp::Shl: out = BinaryOp::Shl; return true;
    case AssignOp::Shr: out = BinaryOp::Shr; return true;
    case AssignOp::BitAnd: out = BinaryOp::BitAnd; return true;
    case AssignOp::BitXor: out = BinaryOp::BitXor; return true;
    case AssignOp::BitOr: out = BinaryOp::BitOr; return true;
    case AssignOp::Concat: out = BinaryOp::Concat; return true;
    case AssignOp::Assign:
    case AssignOp::Aggregate: return false;
  }
  return false;
}

const char* statKindSpelling(StatKind k) {
  switch (k) {
    case StatKind::None: return "";
    case StatKind::Count: return "@count";
    case StatKind::Sum: return "@sum";
    case StatKind::Min: return "@min";
    case StatKind::Max: return "@max";
    case StatKind::Avg: return "@avg";
    case StatKind::Variance: return "@variance";
  }
  return "?";
}

Type declTypeToType(DeclType t) {
  switch (t) {
    case DeclType::Long: return Type::Long;
    case DeclType::String: return Type::String;
    case DeclType::Unspecified: return Type::Unknown;
  }
  return Type::Unknown;
}

bool isLvalue(const Expr* e) {
  return as<Variable>(e) || as<ArrayIndex>(e) || as<TargetExpr>(e);
}

// ------------------------------------------------------------------ default traversal

void Visitor::visitComponents(TargetExpr& t) {
  for (auto& c : t.components) visit(c.index);
}

void Visitor::visit(NumberLiteral&) {}
void Visitor::visit(StringLiteral&) {}
void Visitor::visit(Variable&) {}
void Visitor::visit(ArrayIndex& n) {
  visit(n.base);
  for (Expr* i : n.indices) visit(i);
}
void Visitor::visit(FunctionCall& n) {
  for (Expr* a : n.args) visit(a);
}
void Visitor::visit(PrintCall& n) {
  visit(n.histogram);
  for (Expr* a : n.args) visit(a);
}
void Visitor::visit(Unary& n) { visit(n.operand); }
void Visitor::visit(IncDec& n) { visit(n.operand); }
void Visitor::visit(Binary& n) {
  visit(n.left);
  visit(n.right);
}
void Visitor::visit(RegexMatch& n) { visit(n.subject); }
void Visitor::visit(Ternary& n) {
  visit(n.cond);
  visit(n.thenExpr);
  visit(n.elseExpr);
}
void Visitor::visit(Assignment& n) {
  visit(n.target);
  visit(n.value);
}
void Visitor::visit(ArrayIn& n) { visit(n.element); }
void Visitor::visit(StatOp& n) { visit(n.operand); }
void Visitor::visit(Histogram& n) { visit(n.operand); }
void Visitor::visit(TargetVariable& n) { visitComponents(n); }
void Visitor::visit(CastOp& n) {
  visit(n.operand);
  visitComponents(n);
}
void Visitor::visit(AtVar& n) { visitComponents(n); }
void Visitor::visit(AutoCast& n) {
  visit(n.operand);
  visitComponents(n);
}
void Visitor::visit(DefinedOp& n) { visit(n.operand); }
void Visitor::visit(EntryOp& n) { visit(n.operand); }
void Visitor::visit(PerfOp&) {}
void Visitor::visit(ConstOp&) {}
void Visitor::visit(ProbewriteOp&) {}
void Visitor::visit(RegisterOp&) {}
void Visitor::visit(DerefOp& n) { visit(n.address); }
void Visitor::visit(EmbeddedExpr&) {}

void Visitor::visit(Block& n) {
  for (Stmt* s : n.statements) visit(s);
}
void Visitor::visit(ExprStmt& n) { visit(n.expr); }
void Visitor::visit(NullStmt&) {}
void Visitor::visit(IfStmt& n) {
  visit(n.cond);
  visit(n.thenStmt);
  visit(n.elseStmt);
}
void Visitor::visit(ForStmt& n) {
  visit(n.init);
  visit(n.cond);
  visit(n.step);
  visit(n.body);
}
void Visitor::visit(ForeachStmt& n) {
  visit(n.value);
  for (Variable* k : n.keys) visit(k);
  visit(n.array);
  for (Expr* s : n.slice) visit(s);
  visit(n.limit);
  visit(n.body);
}
void Visitor::visit(ReturnStmt& n) { visit(n.value); }
void Visitor::visit(DeleteStmt& n) { visit(n.target); }
void Visitor::visit(NextStmt&) {}
void Visitor::visit(BreakStmt&) {}
void Visitor::visit(ContinueStmt&) {}
void Visitor::visit(LoopStmt& n) {
  visit(n.body);
  visit(n.step);
}
void Visitor::visit(TryStmt& n) {
  visit(n.body);
  visit(n.catchVar);
  visit(n.handler);
}

void Visitor::visit(GlobalDecl& n) { visit(n.init); }
void Visitor::visit(FunctionDecl& n) {
  visit(n.body);
  visit(n.embedded);
}
void Visitor::visit(ProbePoint& n) {
  for (auto& c : n.components) visit(c.arg);
  visit(n.condition);
}
void Visitor::visit(ProbeDecl& n) {
  for (ProbePoint* p : n.points) visit(p);
  visit(n.body);
}
void Visitor::visit(ProbeAliasDecl& n) {
  for (ProbePoint* p : n.names) visit(p);
  for (ProbePoint* p : n.points) visit(p);
  visit(n.body);
  visit(n.epilogue);
}
void Visitor::visit(EmbeddedCode&) {}
void Visitor::visit(Script& n) {
  for (Decl* d : n.decls) visit(d);
}

void Visitor::visitChildren(Node& n) {
  // Dispatch to the default (base-class) traversal of the node's kind.
  switch (n.kind) {
#define X(name) \
  case Kind::name: Visitor::visit(static_cast<name&>(n)); break;
    AST_NODE_KINDS(X)
#undef X
  }
}

}  // namespace stp2bpf::ast
