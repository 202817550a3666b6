// The typed AST of a SystemTap script.
//
// Nodes are created by an AstContext (ast/context.h), which owns them; everything else holds
// plain pointers.  Every node has a SourceLocation.  Operators are enums.  Expressions carry
// a `type` slot that the type-inference pass fills in; other analysis results live in side
// tables owned by the passes.
//
// Kinds are listed once in AST_NODE_KINDS so that the visitor, the kind names and the
// down-casts stay in step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/source.h"

namespace stp2bpf::ast {

#define AST_EXPR_KINDS(X) \
  X(NumberLiteral)        \
  X(StringLiteral)        \
  X(Variable)             \
  X(ArrayIndex)           \
  X(FunctionCall)         \
  X(PrintCall)            \
  X(Unary)                \
  X(IncDec)               \
  X(Binary)               \
  X(RegexMatch)           \
  X(Ternary)              \
  X(Assignment)           \
  X(ArrayIn)              \
  X(StatOp)               \
  X(Histogram)            \
  X(TargetVariable)       \
  X(CastOp)               \
  X(AtVar)                \
  X(AutoCast)             \
  X(DefinedOp)            \
  X(EntryOp)              \
  X(PerfOp)               \
  X(ConstOp)              \
  X(ProbewriteOp)         \
  X(RegisterOp)           \
  X(DerefOp)              \
  X(EmbeddedExpr)

#define AST_STMT_KINDS(X) \
  X(Block)                \
  X(ExprStmt)             \
  X(NullStmt)             \
  X(IfStmt)               \
  X(ForStmt)              \
  X(ForeachStmt)          \
  X(ReturnStmt)           \
  X(DeleteStmt)           \
  X(NextStmt)             \
  X(BreakStmt)            \
  X(ContinueStmt)         \
  X(LoopStmt)             \
  X(TryStmt)

#define AST_DECL_KINDS(X) \
  X(GlobalDecl)           \
  X(FunctionDecl)         \
  X(ProbePoint)           \
  X(ProbeDecl)            \
  X(ProbeAliasDecl)       \
  X(EmbeddedCode)         \
  X(Script)

#define AST_NODE_KINDS(X) AST_EXPR_KINDS(X) AST_STMT_KINDS(X) AST_DECL_KINDS(X)

enum class Kind : uint8_t {
#define X(name) name,
  AST_NODE_KINDS(X)
#undef X
};

const char* kindName(Kind k);

// SystemTap's value types.  `Stats` is an aggregate (`x <<< v`), readable only through
// `@count` and friends.
enum class Type : uint8_t { Unknown, Long, String, Stats };
const char* typeName(Type t);

class Visitor;

struct Node {
  explicit Node(Kind k, SourceLocation l) : kind(k), loc(l) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual void accept(Visitor& v) = 0;

  const Kind kind;
  SourceLocation loc;
};

// ------------------------------------------------------------------ expressions

struct Expr : Node {
  using Node::Node;
  Type type = Type::Unknown;
};

struct NumberLiteral : Expr {
  NumberLiteral(SourceLocation l, int64_t v) : Expr(Kind::NumberLiteral, l), value(v) {}
  void accept(Visitor& v) override;
  int64_t value;
};

// `value` holds the bytes of the string, escapes decoded.
struct StringLiteral : Expr {
  StringLiteral(SourceLocation l, std::string v)
      : Expr(Kind::StringLiteral, l), value(std::move(v)) {}
  void accept(Visitor& v) override;
  std::string value;
};

struct Variable : Expr {
  Variable(SourceLocation l, std::string n) : Expr(Kind::Variable, l), name(std::move(n)) {}
  void accept(Visitor& v) override;
  std::string name;
};

// `a[k1, k2]`; a null index is the wildcard `*` (only in `delete` and `in`).  The base is a
// Variable or, for `@hist_log(x)[bucket]`, a Histogram.
struct ArrayIndex : Expr {
  ArrayIndex(SourceLocation l, Expr* b, std::vector<Expr*> idx)
      : Expr(Kind::ArrayIndex, l), base(b), indices(std::move(idx)) {}
  void accept(Visitor& v) override;
  Expr* base;
  std::vector<Expr*> indices;
};

struct FunctionCall : Expr {
  FunctionCall(SourceLocation l, std::string n, std::vector<Expr*> a)
      : Expr(Kind::FunctionCall, l), name(std::move(n)), args(std::move(a)) {}
  void accept(Visitor& v) override;
  std::string name;
  std::vector<Expr*> args;
};

// The print family, which SystemTap's parser treats specially: printf/sprintf take a
// literal format, printd/printdln/sprintd/sprintdln a literal delimiter, and
// print/println/sprint/sprintln accept a bare histogram (`print(@hist_log(x))`).
enum class PrintKind : uint8_t {
  Print, Println, Printf, Printd, Printdln,
  Sprint, Sprintln, Sprintf, Sprintd, Sprintdln
};
const char* printKindName(PrintKind k);
bool printKindReturnsString(PrintKind k);
bool printKindHasFormat(PrintKind k);
bool printKindHasDelimiter(PrintKind k);
bool printKindAddsNewline(PrintKind k);

struct Histogram;

struct PrintCall : Expr {
  PrintCall(SourceLocation l, PrintKind k) : Expr(Kind::PrintCall, l), printKind(k) {}
  void accept(Visitor& v) override;
  PrintKind printKind;
  std::string formatOrDelimiter;     // printf/printd families only
  SourceLocation formatLoc;          // location of the format/delimiter literal
  std::vector<Expr*> args;
  Histogram* histogram = nullptr;    // print(@hist_log(x)) and friends
};

enum class UnaryOp : uint8_t { Plus, Minus, Not, BitNot };
const char* unaryOpSpelling(UnaryOp op);

struct Unary : Expr {
  Unary(SourceLocation l, UnaryOp o, Expr* e) : Expr(Kind::Unary, l), op(o), operand(e) {}
  void accept(Visitor& v) override;
  UnaryOp op;
  Expr* operand;
};

struct IncDec : Expr {
  IncDec(SourceLocation l, bool inc, bool pre, Expr* e)
      : Expr(Kind::IncDec, l), increment(inc), prefix(pre), operand(e) {}
  void accept(Visitor& v) override;
  bool increment;
  bool prefix;
  Expr* operand;
};

enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Mod,
  Shl, Shr, UShr,
  BitAnd, BitOr, BitXor,
  Concat,
  LogicalAnd, LogicalOr,
  Lt, Le, Gt, Ge, Eq, Ne,
};
const char* binaryOpSpelling(BinaryOp op);
bool isComparison(BinaryOp op);

struct Binary : Expr {
  Binary(SourceLocation l, BinaryOp o, Expr* a, Expr* b)
      : Expr(Kind::Binary, l), op(o), left(a), right(b) {}
  void accept(Visitor& v) override;
  BinaryOp op;
  Expr* left;
  Expr* right;
};

// `s =~ "regex"` / `s !~ "regex"`: the pattern is always a literal.
struct RegexMatch : Expr {
  RegexMatch(SourceLocation l, Expr* s, std::string p, bool neg)
      : Expr(Kind::RegexMatch, l), subject(s), pattern(std::move(p)), negated(neg) {}
  void accept(Visitor& v) override;
  Expr* subject;
  std::string pattern;
  bool negated;
};

struct Ternary : Expr {
  Ternary(SourceLocation l, Expr* c, Expr* t, Expr* f)
      : Expr(Kind::Ternary, l), cond(c), thenExpr(t), elseExpr(f) {}
  void accept(Visitor& v) override;
  Expr* cond;
  Expr* thenExpr;
  Expr* elseExpr;
};

enum class AssignOp : uint8_t {
  Assign, Add, Sub, Mul, Div, Mod, Shl, Shr, BitAnd, BitXor, BitOr, Concat,
  Aggregate,  // `<<<`
};
const char* assignOpSpelling(AssignOp op);
// The binary operator behind a compound assignment (`+=` → Add); Assign/Aggregate have none.
bool compoundBinaryOp(AssignOp op, BinaryOp& out);

struct Assignment : Expr {
  Assignment(SourceLocation l, AssignOp o, Expr* t, Expr* v)
      : Expr(Kind::Assignment, l), op(o), target(t), value(v) {}
  void accept(Visitor& v) override;
  AssignOp op;
  Expr* target;
  Expr* value;
};

// `k in a`, `[k1, k2] in a`, `[*, k2] in a`.
struct ArrayIn : Expr {
  ArrayIn(SourceLocation l, ArrayIndex* e) : Expr(Kind::ArrayIn, l), element(e) {}
  void accept(Visitor& v) override;
  ArrayIndex* element;
};

enum class StatKind : uint8_t { None, Count, Sum, Min, Max, Avg, Variance };
const char* statKindSpelling(StatKind k);  // "@count", ...

struct StatOp : Expr {
  StatOp(SourceLocation l, StatKind k, Expr* e)
      : Expr(Kind::StatOp, l), stat(k), operand(e) {}
  void accept(Visitor& v) override;
  StatKind stat;
  Expr* operand;
  std::vector<int64_t> params;  // @variance(x, shift)
};

enum class HistogramKind : uint8_t { Log, Linear };

// `@hist_log(x)` or `@hist_linear(x, start, stop, interval)`.  Not a value by itself:
// it appears as a print argument, a foreach/in base, or the base of a bucket index.
struct Histogram : Expr {
  Histogram(SourceLocation l, HistogramKind k, Expr* e)
      : Expr(Kind::Histogram, l), histKind(k), operand(e) {}
  void accept(Visitor& v) override;
  HistogramKind histKind;
  Expr* operand;
  int64_t start = 0, stop = 0, interval = 0;  // linear only
};

// One step after a target expression: `->member`, `[index]`, or a pretty-print suffix
// (`$` / `$$`).
struct TargetComponent {
  enum class Kind : uint8_t { Member, Index, PrettyPrint };
  Kind kind;
  std::string name;      // member name, or "$"/"$$"
  Expr* index = nullptr;
  SourceLocation loc;
};

// Common part of `$var`, `@cast(...)`, `@var(...)` and autocast expressions.
struct TargetExpr : Expr {
  using Expr::Expr;
  std::vector<TargetComponent> components;
  bool addressOf = false;  // `&$var->field`
};

// `$name` (including `$$vars`, `$$parms`, `$$locals`, `$$return`, `$return`).
struct TargetVariable : TargetExpr {
  TargetVariable(SourceLocation l, std::string n)
      : TargetExpr(Kind::TargetVariable, l), name(std::move(n)) {}
  void accept(Visitor& v) override;
  std::string name;  // with the leading '$'
};

struct CastOp : TargetExpr {
  CastOp(SourceLocation l, Expr* e, std::string t, std::string m)
      : TargetExpr(Kind::CastOp, l), operand(e), typeName(std::move(t)), module(std::move(m)) {}
  void accept(Visitor& v) override;
  Expr* operand;
  std::string typeName;
  std::string module;  // empty if not given
};

struct AtVar : TargetExpr {
  AtVar(SourceLocation l, std::string n, std::string m)
      : TargetExpr(Kind::AtVar, l), name(std::move(n)), module(std::move(m)) {}
  void accept(Visitor& v) override;
  std::string name;    // "var@file"
  std::string module;  // empty if not given
};

// Any other value followed by `->`, `[` (not an array index) or taken with `&`.
struct AutoCast : TargetExpr {
  AutoCast(SourceLocation l, Expr* e) : TargetExpr(Kind::AutoCast, l), operand(e) {}
  void accept(Visitor& v) override;
  Expr* operand;
};

struct DefinedOp : Expr {
  DefinedOp(SourceLocation l, Expr* e) : Expr(Kind::DefinedOp, l), operand(e) {}
  void accept(Visitor& v) override;
  Expr* operand;
};

struct EntryOp : Expr {
  EntryOp(SourceLocation l, Expr* e) : Expr(Kind::EntryOp, l), operand(e) {}
  void accept(Visitor& v) override;
  Expr* operand;
};

struct PerfOp : Expr {
  PerfOp(SourceLocation l, std::string c) : Expr(Kind::PerfOp, l), counter(std::move(c)) {}
  void accept(Visitor& v) override;
  std::string counter;
};

struct ConstOp : Expr {
  ConstOp(SourceLocation l, std::string c) : Expr(Kind::ConstOp, l), code(std::move(c)) {}
  void accept(Visitor& v) override;
  std::string code;
};

struct ProbewriteOp : Expr {
  ProbewriteOp(SourceLocation l, std::string n)
      : Expr(Kind::ProbewriteOp, l), name(std::move(n)) {}
  void accept(Visitor& v) override;
  std::string name;
};

// `@kregister(n)` / `@uregister(n)`
struct RegisterOp : Expr {
  RegisterOp(SourceLocation l, bool user, int64_t r)
      : Expr(Kind::RegisterOp, l), userSpace(user), regno(r) {}
  void accept(Visitor& v) override;
  bool userSpace;
  int64_t regno;
};

// `@kderef(size, addr)` / `@uderef(size, addr)`
struct DerefOp : Expr {
  DerefOp(SourceLocation l, bool user, int64_t s, Expr* a)
      : Expr(Kind::DerefOp, l), userSpace(user), size(s), address(a) {}
  void accept(Visitor& v) override;
  bool userSpace;
  int64_t size;
  Expr* address;
};

// `%{ C expression %}` (guru mode).  Kept, never executed.
struct EmbeddedExpr : Expr {
  EmbeddedExpr(SourceLocation l, std::string c) : Expr(Kind::EmbeddedExpr, l), code(std::move(c)) {}
  void accept(Visitor& v) override;
  std::string code;
};

// ------------------------------------------------------------------ statements

struct Stmt : Node {
  using Node::Node;
};

struct Block : Stmt {
  explicit Block(SourceLocation l) : Stmt(Kind::Block, l) {}
  void accept(Visitor& v) override;
  std::vector<Stmt*> statements;
};

struct ExprStmt : Stmt {
  ExprStmt(SourceLocation l, Expr* e) : Stmt(Kind::ExprStmt, l), expr(e) {}
  void accept(Visitor& v) override;
  Expr* expr;
};

struct NullStmt : Stmt {
  explicit NullStmt(SourceLocation l) : Stmt(Kind::NullStmt, l) {}
  void accept(Visitor& v) override;
};

struct IfStmt : Stmt {
  IfStmt(SourceLocation l, Expr* c, Stmt* t, Stmt* e)
      : Stmt(Kind::IfStmt, l), cond(c), thenStmt(t), elseStmt(e) {}
  void accept(Visitor& v) override;
  Expr* cond;
  Stmt* thenStmt;
  Stmt* elseStmt;  // may be null
};

// `for (init; cond; step) body` and `while (cond) body`.  A missing condition is true.
struct ForStmt : Stmt {
  ForStmt(SourceLocation l, Expr* i, Expr* c, Expr* s, Stmt* b, bool w)
      : Stmt(Kind::ForStmt, l), init(i), cond(c), step(s), body(b), isWhile(w) {}
  void accept(Visitor& v) override;
  Expr* init;  // may be null
  Expr* cond;  // may be null
  Expr* step;  // may be null
  Stmt* body;
  bool isWhile;
};

struct ForeachStmt : Stmt {
  explicit ForeachStmt(SourceLocation l) : Stmt(Kind::ForeachStmt, l) {}
  void accept(Visitor& v) override;
  Variable* value = nullptr;       // `v = [k] in a`
  std::vector<Variable*> keys;
  bool bracketedKeys = false;      // written as `[k]` (printing only)
  Expr* array = nullptr;           // Variable or Histogram
  std::vector<Expr*> slice;        // `in a[k, *]`; null entries are `*`
  int sortColumn = 0;              // 0: the value; 1..n: that key
  int sortDirection = 0;           // +1 ascending, -1 descending, 0 unsorted
  StatKind sortAggregate = StatKind::None;  // `a @sum-`
  Expr* limit = nullptr;
  Stmt* body = nullptr;
};

struct ReturnStmt : Stmt {
  ReturnStmt(SourceLocation l, Expr* e) : Stmt(Kind::ReturnStmt, l), value(e) {}
  void accept(Visitor& v) override;
  Expr* value;  // may be null
};

struct DeleteStmt : Stmt {
  DeleteStmt(SourceLocation l, Expr* e) : Stmt(Kind::DeleteStmt, l), target(e) {}
  void accept(Visitor& v) override;
  Expr* target;
};

struct NextStmt : Stmt {
  explicit NextStmt(SourceLocation l) : Stmt(Kind::NextStmt, l) {}
  void accept(Visitor& v) override;
};

struct BreakStmt : Stmt {
  explicit BreakStmt(SourceLocation l) : Stmt(Kind::BreakStmt, l) {}
  void accept(Visitor& v) override;
};

struct ContinueStmt : Stmt {
  explicit ContinueStmt(SourceLocation l) : Stmt(Kind::ContinueStmt, l) {}
  void accept(Visitor& v) override;
};

// A loop after lowering (passes/lower_*): the body starts with its own exit test
// (`if (!cond) break;`), `step` runs after the body and before every `continue`, and the
// loop runs at most `bound` times; `boundIsExact` says the analysis proved the bound can
// never be reached with the loop still wanting to go on, so no run-time check is needed.
// Past the bound, SystemTap's MAXACTION error is raised, never a silent stop.
struct LoopStmt : Stmt {
  LoopStmt(SourceLocation l, Block* b, Block* s) : Stmt(Kind::LoopStmt, l), body(b), step(s) {}
  void accept(Visitor& v) override;
  Block* body;
  Block* step;  // may be null
  int64_t bound = 0;
  bool boundIsExact = false;
  const char* origin = "for";  // "for", "while", "function" (inlined function with returns)
};

struct TryStmt : Stmt {
  TryStmt(SourceLocation l, Block* b, Variable* cv, Block* h)
      : Stmt(Kind::TryStmt, l), body(b), catchVar(cv), handler(h) {}
  void accept(Visitor& v) override;
  Block* body;
  Variable* catchVar;  // may be null
  Block* handler;
};

// ------------------------------------------------------------------ declarations

struct Decl : Node {
  using Node::Node;
};

// `global name`, `global name%[size] = literal`, `private global name`.
struct GlobalDecl : Decl {
  GlobalDecl(SourceLocation l, std::string n) : Decl(Kind::GlobalDecl, l), name(std::move(n)) {}
  void accept(Visitor& v) override;
  std::string name;
  bool isPrivate = false;
  bool wrap = false;       // `%`: the oldest entries are overwritten when full
  int64_t maxEntries = 0;  // `[size]`; 0 = not given
  Expr* init = nullptr;    // NumberLiteral or StringLiteral
};

// Declared types of function results and parameters (`:long`, `:string`).
enum class DeclType : uint8_t { Unspecified, Long, String };
Type declTypeToType(DeclType t);

struct Parameter {
  std::string name;
  DeclType type = DeclType::Unspecified;
  SourceLocation loc;
};

struct EmbeddedCode;

struct FunctionDecl : Decl {
  FunctionDecl(SourceLocation l, std::string n) : Decl(Kind::FunctionDecl, l), name(std::move(n)) {}
  void accept(Visitor& v) override;
  std::string name;
  bool isPrivate = false;
  DeclType returnType = DeclType::Unspecified;
  std::vector<Parameter> params;
  bool hasPriority = false;
  int64_t priority = 0;                // `function f() : 5 { }` (tapset overrides)
  Block* body = nullptr;               // exactly one of body / embedded is set
  EmbeddedCode* embedded = nullptr;
};

struct ProbeComponent {
  std::string name;     // may contain '*' wildcards
  Expr* arg = nullptr;  // NumberLiteral or StringLiteral, or null
  SourceLocation loc;
};

// One probe point, e.g. `kernel.function("f").return?`.  Brace groups are expanded by the
// parser, so every ProbePoint is a plain dotted list.
struct ProbePoint : Decl {
  explicit ProbePoint(SourceLocation l) : Decl(Kind::ProbePoint, l) {}
  void accept(Visitor& v) override;
  std::vector<ProbeComponent> components;
  bool optional = false;    // `?` (also set by `!`)
  bool sufficient = false;  // `!`
  Expr* condition = nullptr;
};

struct ProbeDecl : Decl {
  explicit ProbeDecl(SourceLocation l) : Decl(Kind::ProbeDecl, l) {}
  void accept(Visitor& v) override;
  std::vector<ProbePoint*> points;
  Block* body = nullptr;
};

// `probe name = points { prologue }`, `probe name += points { epilogue }`, and
// `probe name = points { prologue }, { epilogue }`.
struct ProbeAliasDecl : Decl {
  explicit ProbeAliasDecl(SourceLocation l) : Decl(Kind::ProbeAliasDecl, l) {}
  void accept(Visitor& v) override;
  std::vector<ProbePoint*> names;
  std::vector<ProbePoint*> points;
  bool epilogueStyle = false;      // `+=`: body runs after the user's
  Block* body = nullptr;
  Block* epilogue = nullptr;       // the second block of the combined form
};

// `%{ ... %}` at top level or as a function body (guru mode).  Kept, never executed.
struct EmbeddedCode : Decl {
  EmbeddedCode(SourceLocation l, std::string c) : Decl(Kind::EmbeddedCode, l), code(std::move(c)) {}
  void accept(Visitor& v) override;
  std::string code;
};

// One parsed file: its declarations in source order.
struct Script : Decl {
  Script(SourceLocation l, const SourceFile* f) : Decl(Kind::Script, l), file(f) {}
  void accept(Visitor& v) override;
  const SourceFile* file;
  std::vector<Decl*> decls;
  bool emptyAfterPreprocessing = false;  // the file had tokens, but none survived `%( %)`
};

// ------------------------------------------------------------------ casts

// `as<T>(node)`: the node as a T if its kind matches, else null.  Works for the concrete
// kinds and for the abstract bases Expr, Stmt, Decl and TargetExpr.
template <typename T> struct KindTraits;
#define X(name) \
  template <> struct KindTraits<name> { static bool is(Kind k) { return k == Kind::name; } };
AST_NODE_KINDS(X)
#undef X
template <> struct KindTraits<Expr> {
  static bool is(Kind k) { return k <= Kind::EmbeddedExpr; }
};
template <> struct KindTraits<Stmt> {
  static bool is(Kind k) { return k >= Kind::Block && k <= Kind::TryStmt; }
};
template <> struct KindTraits<Decl> {
  static bool is(Kind k) { return k >= Kind::GlobalDecl; }
};
template <> struct KindTraits<TargetExpr> {
  static bool is(Kind k) {
    return k == Kind::TargetVariable || k == Kind::CastOp || k == Kind::AtVar ||
           k == Kind::AutoCast;
  }
};

template <typename T> T* as(Node* n) {
  return n && KindTraits<T>::is(n->kind) ? static_cast<T*>(n) : nullptr;
}
template <typename T> const T* as(const Node* n) {
  return n && KindTraits<T>::is(n->kind) ? static_cast<const T*>(n) : nullptr;
}

// True for expressions that can be assigned to: variables, array elements, and target
// expressions (the latter only in guru mode, which later passes check).
bool isLvalue(const Expr* e);

}  // namespace stp2bpf::ast
