#include "frontend/ast_builder.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>

#include "common/print_format.h"
#include "common/strings.h"
#include "frontend/token.h"

namespace stp2bpf::frontend {

using grammar::StapParser;
using namespace stp2bpf::ast;

namespace {

using antlr4::ParserRuleContext;
using antlr4::tree::ParseTree;
using antlr4::tree::TerminalNode;

// The print family by name (SystemTap's print_format::parse_print).
const std::map<std::string, PrintKind>& printFunctions() {
  static const std::map<std::string, PrintKind> table = {
      {"print", PrintKind::Print},       {"println", PrintKind::Println},
      {"printf", PrintKind::Printf},     {"printd", PrintKind::Printd},
      {"printdln", PrintKind::Printdln}, {"sprint", PrintKind::Sprint},
      {"sprintln", PrintKind::Sprintln}, {"sprintf", PrintKind::Sprintf},
      {"sprintd", PrintKind::Sprintd},   {"sprintdln", PrintKind::Sprintdln},
  };
  return table;
}

const std::map<std::string, AssignOp>& assignOperators() {
  static const std::map<std::string, AssignOp> table = {
      {"=", AssignOp::Assign},    {"+=", AssignOp::Add},     {"-=", AssignOp::Sub},
      {"*=", AssignOp::Mul},      {"/=", AssignOp::Div},     {"%=", AssignOp::Mod},
      {"<<=", AssignOp::Shl},     {">>=", AssignOp::Shr},    {"&=", AssignOp::BitAnd},
      {"^=", AssignOp::BitXor},   {"|=", AssignOp::BitOr},   {".=", AssignOp::Concat},
      {"<<<", AssignOp::Aggregate},
  };
  return table;
}

const std::map<std::string, BinaryOp>& binaryOperators() {
  static const std::map<std::string, BinaryOp> table = {
      {"+", BinaryOp::Add},        {"-", BinaryOp::Sub},        {"*", BinaryOp::Mul},
      {"/", BinaryOp::Div},        {"%", BinaryOp::Mod},        {"<<", BinaryOp::Shl},
      {">>", BinaryOp::Shr},       {">>>", BinaryOp::UShr},     {"&", BinaryOp::BitAnd},
      {"|", BinaryOp::BitOr},      {"^", BinaryOp::BitXor},     {".", BinaryOp::Concat},
      {"&&", BinaryOp::LogicalAnd}, {"||", BinaryOp::LogicalOr}, {"<", BinaryOp::Lt},
      {"<=", BinaryOp::Le},        {">", BinaryOp::Gt},         {">=", BinaryOp::Ge},
      {"==", BinaryOp::Eq},        {"!=", BinaryOp::Ne},
  };
  return table;
}

const std::map<std::string, StatKind>& statOperators() {
  static const std::map<std::string, StatKind> table = {
      {"@count", StatKind::Count}, {"@sum", StatKind::Sum}, {"@min", StatKind::Min},
      {"@max", StatKind::Max},     {"@avg", StatKind::Avg}, {"@variance", StatKind::Variance},
  };
  return table;
}

enum class NumberStatus { Ok, Invalid, TooBig };

// The value of a NUMBER token's text: decimal, 0x hexadecimal or 0 octal, up to 2^64-1.
NumberStatus parseUnsigned(const std::string& text, uint64_t& out) {
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 0);
  if (errno == ERANGE) return NumberStatus::TooBig;
  if (errno == EINVAL || !end || *end != '\0' || text.empty()) return NumberStatus::Invalid;
  out = value;
  return NumberStatus::Ok;
}

// A probe point while brace groups are being expanded.
struct PartialPoint {
  std::vector<ProbeComponent> components;
  bool optional = false;
  bool sufficient = false;
  Expr* condition = nullptr;
  SourceLocation loc;
};

class Builder {
 public:
  Builder(const SourceFile& file, AstContext& ctx, Diagnostics& diags, const BuildOptions& o)
      : file_(file), ctx_(ctx), diags_(diags), options_(o) {}

  Script* build(StapParser::ScriptContext* tree);

 private:
  // --- locations
  SourceLocation loc(antlr4::Token* t) const { return tokenLocation(t, &file_); }
  SourceLocation loc(TerminalNode* t) const { return loc(t->getSymbol()); }
  SourceLocation loc(ParserRuleContext* c) const {
    SourceLocation first = loc(c->getStart());
    antlr4::Token* stop = c->getStop();
    if (!stop || stop->getTokenIndex() < c->getStart()->getTokenIndex()) return first;
    return SourceLocation::span(first, loc(stop));
  }

  // --- declarations
  void buildProbe(StapParser::ProbeDeclarationContext* c);
  std::vector<ProbePoint*> buildPointList(StapParser::ProbePointListContext* c);
  std::vector<PartialPoint> expandPointList(StapParser::ProbePointListContext* c);
  std::vector<PartialPoint> expandPoint(StapParser::ProbePointContext* c);
  void buildGlobals(StapParser::GlobalDeclarationContext* c);
  void buildFunction(StapParser::FunctionDeclarationContext* c);
  EmbeddedCode* buildEmbeddedCode(TerminalNode* t, const char* where);

  // --- statements
  Block* buildBlock(StapParser::BlockContext* c);
  Stmt* buildStatement(StapParser::StatementContext* c);
  Stmt* buildForeach(StapParser::ForeachStatementContext* c);

  // --- expressions
  Expr* buildExpression(StapParser::ExpressionContext* c);
  Expr* buildTernary(StapParser::TernaryContext* c);
  template <typename Ctx>
  Expr* foldBinary(Ctx* c, Expr* (Builder::*operand)(ParserRuleContext*));
  Expr* buildOperand(ParserRuleContext* c);
  Expr* buildArrayIn(StapParser::ArrayInContext* c);
  Expr* buildComparison(StapParser::ComparisonContext* c);
  Expr* buildUnary(StapParser::UnaryContext* c);
  Expr* buildDwarfValue(StapParser::DwarfValueContext* c);
  Expr* buildValue(StapParser::ValueContext* c);
  Expr* buildCall(StapParser::FunctionCallContext* c);
  Expr* buildIndexable(StapParser::IndexableContext* c);
  Histogram* buildHistogram(StapParser::HistogramContext* c);
  Expr* buildLiteral(StapParser::LiteralContext* c);
  StringLiteral* buildString(StapParser::StringLiteralContext* c);
  std::string stringValue(StapParser::StringLiteralContext* c);
  bool parseNumber(antlr4::Token* digits, bool negative, int64_t& out);
  int64_t signedNumber(TerminalNode* minus, TerminalNode* digits);
  Expr* placeholder(const SourceLocation& l) { return ctx_.make<NumberLiteral>(l, 0); }
  // A construct that needs guru mode.  A script written for -g uses them everywhere: one
  // error (at the first use, with the count) says what is missing.
  void needGuru(const SourceLocation& l, const std::string& what) {
    if (guruUses_++ == 0) {
      firstGuruUse_ = l;
      firstGuruWhat_ = what;
    }
  }
  void addTargetComponents(TargetExpr* t, StapParser::DwarfValueContext* c);

  const SourceFile& file_;
  AstContext& ctx_;
  Diagnostics& diags_;
  BuildOptions options_;
  Script* script_ = nullptr;
  bool inFunction_ = false;
  std::map<std::string, SourceLocation> globalNames_;
  // Histograms written as values; each must be claimed by a print call.
  std::set<Histogram*> bareHistograms_;
  std::set<std::string> unknownAtNames_;  // already reported
  size_t guruUses_ = 0;
  SourceLocation firstGuruUse_;
  std::string firstGuruWhat_;
};

// ====================================================================== file level

Script* Builder::build(StapParser::ScriptContext* tree) {
  SourceLocation fileLoc;
  fileLoc.file = &file_;
  fileLoc.line = fileLoc.column = fileLoc.endLine = fileLoc.endColumn = 1;
  script_ = ctx_.make<Script>(fileLoc, &file_);
  for (auto* d : tree->declaration()) {
    if (auto* p = d->probeDeclaration()) buildProbe(p);
    else if (auto* g = d->globalDeclaration()) buildGlobals(g);
    else if (auto* f = d->functionDeclaration()) buildFunction(f);
    else if (auto* e = d->EMBEDDED_CODE()) {
      if (EmbeddedCode* code = buildEmbeddedCode(e, "at the top level")) script_->decls.push_back(code);
    }
  }
  if (guruUses_)
    diags_.error(firstGuruUse_, firstGuruWhat_ + " needs guru mode (-g)" +
                                    (guruUses_ > 1 ? "; " + std::to_string(guruUses_) +
                                                         " places in this file need it"
                                                   : std::string()));
  for (Histogram* h : bareHistograms_)
    diags_.error(h->loc,
                 "a histogram can only be printed ('print(@hist_log(x))') or indexed "
                 "('@hist_log(x)[bucket]')");
  return script_;
}

EmbeddedCode* Builder::buildEmbeddedCode(TerminalNode* t, const char* where) {
  std::string text = t->getText();
  if (!options_.guru) {
    needGuru(loc(t), std::string("embedded C code ") + where);
    return nullptr;
  }
  return ctx_.make<EmbeddedCode>(loc(t), text.substr(2, text.size() - 4));
}

void Builder::buildProbe(StapParser::ProbeDeclarationContext* c) {
  auto lists = c->probePointList();
  auto blocks = c->block();
  SourceLocation probeLoc = loc(c->PROBE());
  if (c->aliasOperator()) {
    auto* alias = ctx_.make<ProbeAliasDecl>(probeLoc);
    alias->epilogueStyle = c->aliasOperator()->ADD_ASSIGN() != nullptr;
    alias->names = buildPointList(lists[0]);
    if (alias->names.size() != 1)
      diags_.error(loc(lists[0]), "a probe alias defines exactly one name");
    for (ProbePoint* n : alias->names) {
      if (n->optional || n->sufficient)
        diags_.error(n->loc, "a probe alias name cannot be optional ('?') or sufficient ('!')");
      if (n->condition) diags_.error(n->loc, "a probe alias name cannot have a condition");
    }
    alias->points = buildPointList(lists[1]);
    alias->body = buildBlock(blocks[0]);
    if (blocks.size() > 1) {
      if (alias->epilogueStyle)
        diags_.error(loc(c->COMMA()),
                     "an alias defined with '+=' is already an epilogue: it cannot have a "
                     "second block");
      alias->epilogue = buildBlock(blocks[1]);
    }
    script_->decls.push_back(alias);
    return;
  }
  auto* probe = ctx_.make<ProbeDecl>(probeLoc);
  probe->points = buildPointList(lists[0]);
  probe->body = buildBlock(blocks[0]);
  if (blocks.size() > 1)
    diags_.error(loc(c->COMMA()),
                 "only a probe alias ('probe name = point { } , { }') can have a second block");
  script_->decls.push_back(probe);
}

std::vector<ProbePoint*> Builder::buildPointList(StapParser::ProbePointListContext* c) {
  std::vector<ProbePoint*> out;
  for (PartialPoint& p : expandPointList(c)) {
    auto* point = ctx_.make<ProbePoint>(p.loc);
    point->components = std::move(p.components);
    point->optional = p.optional;
    point->sufficient = p.sufficient;
    point->condition = p.condition;
    out.push_back(point);
  }
  return out;
}

std::vector<PartialPoint> Builder::expandPointList(StapParser::ProbePointListContext* c) {
  std::vector<PartialPoint> out;
  for (auto* p : c->probePoint()) {
    std::vector<PartialPoint> points = expandPoint(p);
    out.insert(out.end(), points.begin(), points.end());
  }
  return out;
}

std::vector<PartialPoint> Builder::expandPoint(StapParser::ProbePointContext* c) {
  std::vector<PartialPoint> points{PartialPoint{}};
  points[0].loc = loc(c);
  bool first = true;
  for (auto* comp : c->probeComponent()) {
    std::vector<PartialPoint> alternatives;
    if (auto* group = dynamic_cast<StapParser::ProbeComponentGroupContext*>(comp)) {
      alternatives = expandPointList(group->probePointList());
    } else {
      auto* named = static_cast<StapParser::ProbeComponentNamedContext*>(comp);
      ProbeComponent pc;
      for (auto* part : named->componentNamePart()) pc.name += part->getText();
      pc.loc = loc(named);
      if (auto* arg = named->probeArgument()) {
        if (auto* s = arg->stringLiteral()) pc.arg = buildString(s);
        else pc.arg = ctx_.make<NumberLiteral>(loc(arg), signedNumber(arg->MINUS(), arg->NUMBER()));
      }
      PartialPoint single;
      single.components.push_back(pc);
      alternatives.push_back(single);
    }
    // Cartesian product: every point so far, followed by every alternative.
    std::vector<PartialPoint> product;
    for (PartialPoint& prefix : points) {
      if (!first && (prefix.optional || prefix.sufficient || prefix.condition))
        diags_.error(loc(comp),
                     "'?', '!' and 'if (...)' are only allowed at the end of a probe point");
      for (const PartialPoint& alt : alternatives) {
        PartialPoint p = prefix;
        p.components.insert(p.components.end(), alt.components.begin(), alt.components.end());
        p.optional = alt.optional;
        p.sufficient = alt.sufficient;
        p.condition = alt.condition;
        product.push_back(std::move(p));
      }
    }
    points = std::move(product);
    first = false;
  }
  auto* mark = c->probePointMark();
  auto* cond = c->probeCondition();
  Expr* condition = cond ? buildExpression(cond->expression()) : nullptr;
  for (PartialPoint& p : points) {
    p.loc = loc(c);
    if (mark) {
      if (p.optional || p.sufficient)
        diags_.error(loc(mark), "'?' or '!' is given twice for this probe point");
      p.optional = true;  // `!` implies `?`
      p.sufficient = mark->BANG() != nullptr;
    }
    if (condition) {
      if (p.condition) diags_.error(loc(cond), "this probe point already has a condition");
      p.condition = condition;
    }
  }
  return points;
}

void Builder::buildGlobals(StapParser::GlobalDeclarationContext* c) {
  bool isPrivate = c->PRIVATE() != nullptr;
  for (auto* v : c->globalVariable()) {
    auto* g = ctx_.make<GlobalDecl>(loc(v->IDENTIFIER()), v->IDENTIFIER()->getText());
    g->isPrivate = isPrivate;
    g->wrap = v->PERCENT() != nullptr;
    if (auto* size = v->NUMBER()) {
      int64_t n = 0;
      if (parseNumber(size->getSymbol(), false, n) && (n <= 0 || n > INT_MAX))
        diags_.error(loc(size), "array size " + size->getText() + " is out of range (1 to " +
                                    std::to_string(INT_MAX) + ")");
      g->maxEntries = n;
    }
    if (auto* init = v->literal()) {
      if (v->NUMBER())
        diags_.error(loc(init), "only scalar globals can be initialized, not arrays ('" +
                                    g->name + "' has a size)");
      g->init = buildLiteral(init);
    }
    auto [it, inserted] = globalNames_.emplace(g->name, g->loc);
    if (!inserted) {
      Diagnostic& d = diags_.error(g->loc, "global '" + g->name + "' is declared twice");
      Diagnostics::note(d, it->second, "first declared here");
    }
    script_->decls.push_back(g);
  }
}

void Builder::buildFunction(StapParser::FunctionDeclarationContext* c) {
  auto* f = ctx_.make<FunctionDecl>(loc(c->functionName()), c->functionName()->getText());
  f->isPrivate = c->PRIVATE() != nullptr;
  if (auto* t = c->typeName()) f->returnType = t->STRING_KW() ? DeclType::String : DeclType::Long;
  std::map<std::string, SourceLocation> seen;
  for (auto* p : c->parameter()) {
    Parameter param;
    param.name = p->IDENTIFIER()->getText();
    param.loc = loc(p->IDENTIFIER());
    if (auto* t = p->typeName()) param.type = t->STRING_KW() ? DeclType::String : DeclType::Long;
    if (!seen.emplace(param.name, param.loc).second)
      diags_.error(param.loc, "parameter '" + param.name + "' of function '" + f->name +
                                  "' is declared twice");
    f->params.push_back(param);
  }
  if (auto* prio = c->NUMBER()) {
    f->hasPriority = true;
    f->priority = signedNumber(c->MINUS(), prio);
    if (f->priority < 1)
      diags_.error(loc(prio), "a function priority must be greater than 0");
  }
  if (auto* code = c->EMBEDDED_CODE()) {
    f->embedded = buildEmbeddedCode(code, "as a function body");
    if (!f->embedded) f->body = ctx_.make<Block>(loc(code));
  } else {
    inFunction_ = true;
    f->body = buildBlock(c->block());
    inFunction_ = false;
  }
  script_->decls.push_back(f);
}

// ====================================================================== statements

Block* Builder::buildBlock(StapParser::BlockContext* c) {
  auto* b = ctx_.make<Block>(loc(c));
  for (auto* s : c->statement())
    if (Stmt* stmt = buildStatement(s)) b->statements.push_back(stmt);
  return b;
}

Stmt* Builder::buildStatement(StapParser::StatementContext* c) {
  SourceLocation l = loc(c);
  if (auto* s = dynamic_cast<StapParser::BlockStatementContext*>(c)) return buildBlock(s->block());
  if (dynamic_cast<StapParser::EmptyStatementContext*>(c)) return ctx_.make<NullStmt>(l);
  if (auto* s = dynamic_cast<StapParser::ExpressionStatementContext*>(c))
    return ctx_.make<ExprStmt>(loc(s->expression()), buildExpression(s->expression()));
  if (auto* s = dynamic_cast<StapParser::IfStatementContext*>(c)) {
    Expr* cond = buildExpression(s->expression());
    Stmt* then = buildStatement(s->statement(0));
    Stmt* otherwise = s->ELSE() ? buildStatement(s->statement(1)) : nullptr;
    return ctx_.make<IfStmt>(loc(s->IF()), cond, then, otherwise);
  }
  if (auto* s = dynamic_cast<StapParser::ForStatementContext*>(c)) {
    Expr* init = s->init ? buildExpression(s->init) : nullptr;
    Expr* cond = s->cond ? buildExpression(s->cond) : nullptr;
    Expr* step = s->step ? buildExpression(s->step) : nullptr;
    return ctx_.make<ForStmt>(loc(s->FOR()), init, cond, step, buildStatement(s->statement()), false);
  }
  if (auto* s = dynamic_cast<StapParser::WhileStatementContext*>(c)) {
    Expr* cond = buildExpression(s->expression());
    return ctx_.make<ForStmt>(loc(s->WHILE()), nullptr, cond, nullptr, buildStatement(s->statement()), true);
  }
  if (auto* s = dynamic_cast<StapParser::ForeachStatementContext*>(c)) return buildForeach(s);
  if (auto* s = dynamic_cast<StapParser::ReturnStatementContext*>(c)) {
    if (!inFunction_)
      diags_.error(loc(s->RETURN()),
                   "'return' is only allowed in a function; use 'next' to leave a probe");
    return ctx_.make<ReturnStmt>(l, s->expression() ? buildExpression(s->expression()) : nullptr);
  }
  if (auto* s = dynamic_cast<StapParser::DeleteStatementContext*>(c))
    return ctx_.make<DeleteStmt>(l, buildExpression(s->expression()));
  if (dynamic_cast<StapParser::NextStatementContext*>(c)) return ctx_.make<NextStmt>(l);
  if (dynamic_cast<StapParser::BreakStatementContext*>(c)) return ctx_.make<BreakStmt>(l);
  if (dynamic_cast<StapParser::ContinueStatementContext*>(c)) return ctx_.make<ContinueStmt>(l);
  if (auto* s = dynamic_cast<StapParser::TryStatementContext*>(c)) {
    Block* body = buildBlock(s->block(0));
    Variable* var = s->IDENTIFIER()
                        ? ctx_.make<Variable>(loc(s->IDENTIFIER()), s->IDENTIFIER()->getText())
                        : nullptr;
    return ctx_.make<TryStmt>(l, body, var, buildBlock(s->block(1)));
  }
  return ctx_.make<NullStmt>(l);
}

Stmt* Builder::buildForeach(StapParser::ForeachStatementContext* c) {
  auto* f = ctx_.make<ForeachStmt>(loc(c->FOREACH()));
  auto* h = c->foreachHead();
  auto setSort = [&](StapParser::SortMarkContext* mark, int column) {
    if (!mark) return;
    if (f->sortDirection != 0) {
      diags_.error(loc(mark), "a foreach loop can have only one sort directive ('+' or '-')");
      return;
    }
    f->sortDirection = mark->PLUS() ? 1 : -1;
    f->sortColumn = column;
  };
  if (h->valueVar) {
    f->value = ctx_.make<Variable>(loc(h->valueVar), h->valueVar->getText());
    setSort(h->valueSort, 0);
  }
  f->bracketedKeys = h->keysOpen != nullptr;
  int column = 1;
  for (auto* k : h->foreachKey()) {
    f->keys.push_back(ctx_.make<Variable>(loc(k->IDENTIFIER()), k->IDENTIFIER()->getText()));
    setSort(k->sortMark(), column++);
  }
  f->array = buildIndexable(h->indexable());
  for (auto* s : h->sliceIndex())
    f->slice.push_back(s->STAR() ? nullptr : buildExpression(s->expression()));
  if (auto* stat = h->statOperator()) f->sortAggregate = statOperators().at(stat->getText());
  setSort(h->arraySort, 0);
  if (h->expression()) f->limit = buildExpression(h->expression());
  f->body = buildStatement(c->statement());
  return f;
}

// ====================================================================== expressions

Expr* Builder::buildExpression(StapParser::ExpressionContext* c) {
  Expr* left = buildTernary(c->ternary());
  if (auto* op = c->assignmentOperator()) {
    Expr* right = buildExpression(c->expression());
    return ctx_.make<Assignment>(loc(op), assignOperators().at(op->getText()), left, right);
  }
  return left;
}

Expr* Builder::buildTernary(StapParser::TernaryContext* c) {
  Expr* cond = buildOperand(c->logicalOr());
  if (!c->QUESTION()) return cond;
  Expr* then = buildExpression(c->expression());
  Expr* otherwise = buildTernary(c->ternary());
  return ctx_.make<Ternary>(loc(c->QUESTION()), cond, then, otherwise);
}

// Left-associative chains: operand (op operand)*.
template <typename Ctx>
Expr* Builder::foldBinary(Ctx* c, Expr* (Builder::*operand)(ParserRuleContext*)) {
  Expr* left = nullptr;
  TerminalNode* pendingOp = nullptr;
  for (ParseTree* child : c->children) {
    if (auto* t = dynamic_cast<TerminalNode*>(child)) {
      pendingOp = t;
      continue;
    }
    Expr* right = (this->*operand)(static_cast<ParserRuleContext*>(child));
    if (!left) {
      left = right;
    } else {
      left = ctx_.make<Binary>(loc(pendingOp), binaryOperators().at(pendingOp->getText()), left, right);
    }
  }
  return left;
}

// Dispatch for the binary-operator levels between the ternary and unary rules.
Expr* Builder::buildOperand(ParserRuleContext* c) {
  switch (c->getRuleIndex()) {
    case StapParser::RuleLogicalOr:
      return foldBinary(static_cast<StapParser::LogicalOrContext*>(c), &Builder::buildOperand);
    case StapParser::RuleLogicalAnd:
      return foldBinary(static_cast<StapParser::LogicalAndContext*>(c), &Builder::buildOperand);
    case StapParser::RuleBitOr:
      return foldBinary(static_cast<StapParser::BitOrContext*>(c), &Builder::buildOperand);
    case StapParser::RuleBitXor:
      return foldBinary(static_cast<StapParser::BitXorContext*>(c), &Builder::buildOperand);
    case StapParser::RuleBitAnd:
      return foldBinary(static_cast<StapParser::BitAndContext*>(c), &Builder::buildOperand);
    case StapParser::RuleArrayIn:
      return buildArrayIn(static_cast<StapParser::ArrayInContext*>(c));
    case StapParser::RuleComparison:
      return buildComparison(static_cast<StapParser::ComparisonContext*>(c));
    case StapParser::RuleShift:
      return foldBinary(static_cast<StapParser::ShiftContext*>(c), &Builder::buildOperand);
    case StapParser::RuleConcatenation:
      return foldBinary(static_cast<StapParser::ConcatenationContext*>(c), &Builder::buildOperand);
    case StapParser::RuleAdditive:
      return foldBinary(static_cast<StapParser::AdditiveContext*>(c), &Builder::buildOperand);
    case StapParser::RuleMultiplicative:
      return foldBinary(static_cast<StapParser::MultiplicativeContext*>(c), &Builder::buildOperand);
    case StapParser::RuleUnary:
      return buildUnary(static_cast<StapParser::UnaryContext*>(c));
    default:
      return placeholder(loc(c));
  }
}

Expr* Builder::buildArrayIn(StapParser::ArrayInContext* c) {
  if (auto* single = dynamic_cast<StapParser::SingleInContext*>(c)) {
    Expr* key = buildComparison(single->comparison());
    if (!single->IN()) return key;
    Expr* array = buildIndexable(single->indexable());
    auto* element = ctx_.make<ArrayIndex>(loc(single->indexable()), array, std::vector<Expr*>{key});
    return ctx_.make<ArrayIn>(loc(single->IN()), element);
  }
  auto* tuple = static_cast<StapParser::TupleInContext*>(c);
  std::vector<Expr*> keys;
  for (auto* k : tuple->inKey()) keys.push_back(k->STAR() ? nullptr : buildComparison(k->comparison()));
  Expr* array = buildIndexable(tuple->indexable());
  auto* element = ctx_.make<ArrayIndex>(loc(tuple->indexable()), array, std::move(keys));
  return ctx_.make<ArrayIn>(loc(tuple->IN()), element);
}

Expr* Builder::buildComparison(StapParser::ComparisonContext* c) {
  auto shifts = c->shift();
  Expr* left = buildOperand(shifts[0]);
  if (auto* re = c->regexOperator()) {
    return ctx_.make<RegexMatch>(loc(re), left, stringValue(c->stringLiteral()),
                                 re->REGEX_NOMATCH() != nullptr);
  }
  auto ops = c->comparisonOperator();
  for (size_t i = 0; i < ops.size(); ++i) {
    Expr* right = buildOperand(shifts[i + 1]);
    left = ctx_.make<Binary>(loc(ops[i]), binaryOperators().at(ops[i]->getText()), left, right);
  }
  return left;
}

Expr* Builder::buildUnary(StapParser::UnaryContext* c) {
  if (auto* p = dynamic_cast<StapParser::PrefixUnaryContext*>(c)) {
    // `-` directly on a number is a negative literal (so -9223372036854775808 fits).  A
    // larger magnitude is, as in SystemTap, the negation of the (wrapped) 64-bit literal:
    // stap prints `-9223372036854775809` as `-(-9223372036854775807)`.
    if (p->MINUS()) {
      if (auto* inner = dynamic_cast<StapParser::PostCrementOrValueContext*>(p->unary())) {
        auto* dv = inner->dwarfValue();
        auto* num = dynamic_cast<StapParser::NumberValueContext*>(dv->value());
        uint64_t magnitude = 0;
        if (num && !inner->INCREMENT() && !inner->DECREMENT() && !dv->AMP() &&
            dv->targetComponent().empty() &&
            parseUnsigned(num->NUMBER()->getText(), magnitude) == NumberStatus::Ok &&
            magnitude <= 9223372036854775808ULL) {
          return ctx_.make<NumberLiteral>(loc(p), static_cast<int64_t>(0ULL - magnitude));
        }
      }
    }
    UnaryOp op = p->PLUS() ? UnaryOp::Plus : p->MINUS() ? UnaryOp::Minus
                 : p->BANG() ? UnaryOp::Not : UnaryOp::BitNot;
    Expr* operand = buildUnary(p->unary());
    return ctx_.make<Unary>(loc(p->getStart()), op, operand);
  }
  if (auto* p = dynamic_cast<StapParser::PreCrementContext*>(c)) {
    Expr* operand = buildDwarfValue(p->dwarfValue());
    return ctx_.make<IncDec>(loc(p->getStart()), p->INCREMENT() != nullptr, true, operand);
  }
  auto* p = static_cast<StapParser::PostCrementOrValueContext*>(c);
  Expr* value = buildDwarfValue(p->dwarfValue());
  if (p->INCREMENT() || p->DECREMENT()) {
    TerminalNode* op = p->INCREMENT() ? p->INCREMENT() : p->DECREMENT();
    return ctx_.make<IncDec>(loc(op), p->INCREMENT() != nullptr, false, value);
  }
  return value;
}

Expr* Builder::buildDwarfValue(StapParser::DwarfValueContext* c) {
  Expr* value = buildValue(c->value());
  bool hasComponents = !c->targetComponent().empty();
  auto* target = as<TargetExpr>(value);
  // `$var$` and `$var$$` carry the pretty-print suffix inside the token.
  if (auto* tv = as<TargetVariable>(value)) {
    size_t last = tv->name.find_last_not_of('$');
    if (last != std::string::npos && last + 1 < tv->name.size()) {
      TargetComponent pp{TargetComponent::Kind::PrettyPrint, tv->name.substr(last + 1), nullptr, tv->loc};
      tv->name.erase(last + 1);
      tv->components.push_back(pp);
    }
  }
  if (!target && (hasComponents || c->AMP())) {
    target = ctx_.make<AutoCast>(loc(c), value);
    value = target;
  }
  if (target) {
    if (c->AMP()) {
      target->addressOf = true;
      target->loc = SourceLocation::span(loc(c->AMP()), target->loc);
    }
    addTargetComponents(target, c);
  }
  return value;
}

void Builder::addTargetComponents(TargetExpr* t, StapParser::DwarfValueContext* c) {
  auto prettyPrinted = [&]() {
    return !t->components.empty() &&
           t->components.back().kind == TargetComponent::Kind::PrettyPrint;
  };
  for (auto* comp : c->targetComponent()) {
    if (prettyPrinted()) {
      diags_.error(loc(comp), "'" + comp->getStart()->getText() +
                                  "' cannot follow a pretty-printing '$' suffix");
      return;
    }
    if (auto* m = dynamic_cast<StapParser::MemberComponentContext*>(comp)) {
      std::string name = m->memberName()->getText();
      size_t last = name.find_last_not_of('$');
      std::string suffix;
      if (last == std::string::npos) {
        suffix = name;
        name.clear();
      } else if (last + 1 < name.size()) {
        suffix = name.substr(last + 1);
        name.erase(last + 1);
      }
      if (!name.empty())
        t->components.push_back({TargetComponent::Kind::Member, name, nullptr, loc(m)});
      if (!suffix.empty())
        t->components.push_back({TargetComponent::Kind::PrettyPrint, suffix, nullptr, loc(m)});
    } else if (auto* i = dynamic_cast<StapParser::IndexComponentContext*>(comp)) {
      t->components.push_back(
          {TargetComponent::Kind::Index, "", buildExpression(i->expression()), loc(i)});
    } else if (auto* d = dynamic_cast<StapParser::PrettyPrintComponentContext*>(comp)) {
      t->components.push_back({TargetComponent::Kind::PrettyPrint, d->getText(), nullptr, loc(d)});
    }
  }
  for (auto& comp : t->components)
    if (comp.kind == TargetComponent::Kind::PrettyPrint && comp.name.size() > 2)
      diags_.error(comp.loc, "a pretty-printing suffix is '$' or '$$', not '" + comp.name + "'");
}

Expr* Builder::buildValue(StapParser::ValueContext* c) {
  SourceLocation l = loc(c);
  if (auto* v = dynamic_cast<StapParser::NumberValueContext*>(c)) {
    int64_t value = 0;
    parseNumber(v->NUMBER()->getSymbol(), false, value);
    return ctx_.make<NumberLiteral>(l, value);
  }
  if (auto* v = dynamic_cast<StapParser::StringValueContext*>(c)) return buildString(v->stringLiteral());
  if (auto* v = dynamic_cast<StapParser::SymbolOrArrayIndexContext*>(c)) {
    // SystemTap's parser treats the print functions' names as calls only: `print x` and
    // `print = 1` are syntax errors, not a variable named `print`.
    if (printFunctions().count(v->IDENTIFIER()->getText()))
      diags_.error(loc(v->IDENTIFIER()), "expected '(' after '" + v->IDENTIFIER()->getText() +
                                             "': the print functions are always called with "
                                             "parentheses");
    auto* var = ctx_.make<Variable>(loc(v->IDENTIFIER()), v->IDENTIFIER()->getText());
    if (!v->LBRACKET()) return var;
    std::vector<Expr*> indices;
    for (auto* i : v->arrayIndex()) indices.push_back(i->STAR() ? nullptr : buildExpression(i->expression()));
    return ctx_.make<ArrayIndex>(l, var, std::move(indices));
  }
  if (auto* v = dynamic_cast<StapParser::FunctionCallContext*>(c)) return buildCall(v);
  if (auto* v = dynamic_cast<StapParser::ParenthesizedContext*>(c)) return buildExpression(v->expression());
  if (auto* v = dynamic_cast<StapParser::TargetSymbolContext*>(c))
    return ctx_.make<TargetVariable>(l, v->TARGET_NAME()->getText());
  if (auto* v = dynamic_cast<StapParser::StatisticContext*>(c)) {
    std::string name = v->statOperator()->getText();
    auto* op = ctx_.make<StatOp>(l, statOperators().at(name), buildExpression(v->expression()));
    auto numbers = v->NUMBER();
    size_t maxParams = op->stat == StatKind::Variance ? 1 : 0;
    if (numbers.size() > maxParams)
      diags_.error(loc(numbers[maxParams]), name + (maxParams ? " takes at most one extra parameter"
                                                               : " takes no extra parameters"));
    // Pair each number with the '-' that precedes it, if any.
    for (auto* n : numbers) {
      bool negative = false;
      size_t idx = n->getSymbol()->getTokenIndex();
      for (auto* m : v->MINUS())
        if (m->getSymbol()->getTokenIndex() + 1 == idx) negative = true;
      int64_t value = 0;
      parseNumber(n->getSymbol(), negative, value);
      op->params.push_back(value);
    }
    return op;
  }
  if (auto* v = dynamic_cast<StapParser::HistogramValueContext*>(c)) {
    Histogram* h = buildHistogram(v->histogram());
    if (!v->LBRACKET()) {
      bareHistograms_.insert(h);
      return h;
    }
    return ctx_.make<ArrayIndex>(l, h, std::vector<Expr*>{buildExpression(v->expression())});
  }
  if (auto* v = dynamic_cast<StapParser::CastOperatorContext*>(c)) {
    auto strings = v->stringLiteral();
    std::string type = stringValue(strings[0]);
    if (type.empty()) diags_.error(loc(strings[0]), "@cast needs a type name");
    return ctx_.make<CastOp>(l, buildExpression(v->expression()), type,
                             strings.size() > 1 ? stringValue(strings[1]) : "");
  }
  if (auto* v = dynamic_cast<StapParser::AtVarOperatorContext*>(c)) {
    auto strings = v->stringLiteral();
    return ctx_.make<AtVar>(l, stringValue(strings[0]), strings.size() > 1 ? stringValue(strings[1]) : "");
  }
  if (auto* v = dynamic_cast<StapParser::DefinedOperatorContext*>(c))
    return ctx_.make<DefinedOp>(l, buildExpression(v->expression()));
  if (auto* v = dynamic_cast<StapParser::EntryOperatorContext*>(c))
    return ctx_.make<EntryOp>(l, buildExpression(v->expression()));
  if (auto* v = dynamic_cast<StapParser::PerfOperatorContext*>(c)) {
    std::string name = stringValue(v->stringLiteral());
    if (name.empty()) diags_.error(loc(v->stringLiteral()), "@perf needs a counter name");
    return ctx_.make<PerfOp>(l, name);
  }
  if (auto* v = dynamic_cast<StapParser::ConstOperatorContext*>(c)) {
    std::string code = stringValue(v->stringLiteral());
    if (!options_.guru) needGuru(l, "@const");
    if (code.empty()) diags_.error(loc(v->stringLiteral()), "@const needs a C expression");
    return ctx_.make<ConstOp>(l, code);
  }
  if (auto* v = dynamic_cast<StapParser::ProbewriteOperatorContext*>(c))
    return ctx_.make<ProbewriteOp>(l, v->IDENTIFIER()->getText());
  if (auto* v = dynamic_cast<StapParser::RegisterOperatorContext*>(c)) {
    bool user = v->AT_UREGISTER() != nullptr;
    if (!user && !options_.guru) needGuru(l, "@kregister");
    return ctx_.make<RegisterOp>(l, user, signedNumber(v->MINUS(), v->NUMBER()));
  }
  if (auto* v = dynamic_cast<StapParser::DerefOperatorContext*>(c)) {
    bool user = v->AT_UDEREF() != nullptr;
    if (!user && !options_.guru) needGuru(l, "@kderef");
    return ctx_.make<DerefOp>(l, user, signedNumber(v->MINUS(), v->NUMBER()),
                              buildExpression(v->expression()));
  }
  if (auto* v = dynamic_cast<StapParser::EmbeddedExpressionContext*>(c)) {
    std::string text = v->EMBEDDED_CODE()->getText();
    if (!options_.guru) needGuru(l, "embedded C code in an expression");
    return ctx_.make<EmbeddedExpr>(l, text.substr(2, text.size() - 4));
  }
  if (auto* v = dynamic_cast<StapParser::UnknownAtOperatorContext*>(c)) {
    // Once per name: a script written for a tapset macro uses it in many places.
    if (unknownAtNames_.insert(v->AT_WORD()->getText()).second)
      diags_.error(l, "unknown operator or macro '" + v->AT_WORD()->getText() + "'");
    return placeholder(l);
  }
  return placeholder(l);
}

Expr* Builder::buildCall(StapParser::FunctionCallContext* c) {
  std::string name = c->IDENTIFIER()->getText();
  SourceLocation l = loc(c->IDENTIFIER());
  std::vector<Expr*> args;
  for (auto* e : c->expression()) args.push_back(buildExpression(e));
  auto it = printFunctions().find(name);
  if (it == printFunctions().end()) return ctx_.make<FunctionCall>(l, name, std::move(args));

  auto* call = ctx_.make<PrintCall>(l, it->second);
  PrintKind kind = it->second;
  size_t first = 0;
  if (printKindHasFormat(kind) || printKindHasDelimiter(kind)) {
    const char* what = printKindHasFormat(kind) ? "format" : "delimiter";
    // The format must be written as a literal: `printf(fmt, x)` is rejected like stap does.
    auto* literal = args.empty() ? nullptr : as<StringLiteral>(args[0]);
    if (args.empty()) {
      diags_.error(l, "'" + name + "' needs a " + what + " string as its first argument");
    } else if (!literal) {
      diags_.error(args[0]->loc,
                   "the " + std::string(what) + " of '" + name + "' must be a string literal");
    } else {
      call->formatOrDelimiter = literal->value;
      call->formatLoc = literal->loc;
      first = 1;
      if (printKindHasFormat(kind)) {
        std::vector<FormatSpec> specs;
        FormatParseError error;
        if (!parsePrintFormat(literal->value, specs, error))
          diags_.error(literal->loc, error.message + " in the format of '" + name + "'");
      }
    }
    // (Only once the delimiter itself is right: one mistake, one message.)
    if (literal && printKindHasDelimiter(kind) && args.size() < first + 2)
      diags_.error(l, "'" + name + "' needs a delimiter and at least two values");
  } else if (!printKindAddsNewline(kind) && args.empty()) {
    diags_.error(l, "'" + name + "' needs at least one value to print");
  }
  call->args.assign(args.begin() + first, args.end());
  // print(@hist_log(x)): the histogram is printed as a whole.
  if (call->args.size() == 1) {
    if (auto* h = as<Histogram>(call->args[0])) {
      if (!printKindHasFormat(kind) && !printKindHasDelimiter(kind)) {
        bareHistograms_.erase(h);
        call->histogram = h;
        call->args.clear();
      }
    }
  }
  return call;
}

Expr* Builder::buildIndexable(StapParser::IndexableContext* c) {
  if (auto* id = c->IDENTIFIER()) return ctx_.make<Variable>(loc(id), id->getText());
  return buildHistogram(c->histogram());
}

Histogram* Builder::buildHistogram(StapParser::HistogramContext* c) {
  Expr* operand = buildExpression(c->expression());
  if (c->AT_HIST_LOG()) return ctx_.make<Histogram>(loc(c), HistogramKind::Log, operand);
  auto* h = ctx_.make<Histogram>(loc(c), HistogramKind::Linear, operand);
  auto numbers = c->NUMBER();
  int64_t values[3] = {0, 0, 0};
  for (size_t i = 0; i < numbers.size() && i < 3; ++i) {
    bool negative = false;
    size_t idx = numbers[i]->getSymbol()->getTokenIndex();
    for (auto* m : c->MINUS())
      if (m->getSymbol()->getTokenIndex() + 1 == idx) negative = true;
    parseNumber(numbers[i]->getSymbol(), negative, values[i]);
  }
  h->start = values[0];
  h->stop = values[1];
  h->interval = values[2];
  return h;
}

Expr* Builder::buildLiteral(StapParser::LiteralContext* c) {
  if (auto* s = c->stringLiteral()) return buildString(s);
  return ctx_.make<NumberLiteral>(loc(c), signedNumber(c->MINUS(), c->NUMBER()));
}

std::string Builder::stringValue(StapParser::StringLiteralContext* c) {
  std::string value;
  for (auto* piece : c->STRING()) {
    std::string text = piece->getText();
    value += decodeStringEscapes(std::string_view(text).substr(1, text.size() - 2));
  }
  return value;
}

StringLiteral* Builder::buildString(StapParser::StringLiteralContext* c) {
  return ctx_.make<StringLiteral>(loc(c), stringValue(c));
}

int64_t Builder::signedNumber(TerminalNode* minus, TerminalNode* digits) {
  int64_t value = 0;
  if (digits) parseNumber(digits->getSymbol(), minus != nullptr, value);
  return value;
}

// Decimal, 0x hexadecimal or 0 octal; up to 2^64-1 (wrapping, as SystemTap allows), or
// down to -2^63 when negated.
bool Builder::parseNumber(antlr4::Token* digits, bool negative, int64_t& out) {
  const std::string& text = digits->getText();
  uint64_t value = 0;
  NumberStatus status = parseUnsigned(text, value);
  if (status != NumberStatus::Ok) {
    diags_.error(loc(digits), "invalid number '" + text + "'" +
                                  (status == NumberStatus::TooBig ? ": it does not fit in 64 bits" : ""));
    out = 0;
    return false;
  }
  if (negative && value > 9223372036854775808ULL) {
    diags_.error(loc(digits), "number -" + text + " is below the smallest 64-bit value");
    out = 0;
    return false;
  }
  out = static_cast<int64_t>(negative ? 0ULL - value : value);
  return true;
}

}  // namespace

ast::Script* buildAst(StapParser::ScriptContext* tree, const SourceFile& file, AstContext& ctx,
                      Diagnostics& diags, const BuildOptions& options) {
  Builder builder(file, ctx, diags, options);
  return builder.build(tree);
}

}  // namespace stp2bpf::frontend
