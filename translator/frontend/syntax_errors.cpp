#include "frontend/syntax_errors.h"

#include <algorithm>
#include <map>

#include "StapLexer.h"
#include "StapParser.h"
#include "frontend/lexer.h"
#include "frontend/token.h"

namespace stp2bpf::frontend {

using grammar::StapLexer;
using grammar::StapParser;

namespace {

constexpr size_t kMaxErrorsPerFile = 50;
constexpr size_t kAny = ~size_t(0);

using TokenSet = std::vector<size_t>;

TokenSet join(std::initializer_list<TokenSet> sets) {
  TokenSet out;
  for (const TokenSet& s : sets) out.insert(out.end(), s.begin(), s.end());
  return out;
}

bool in(size_t type, const TokenSet& set) {
  return std::find(set.begin(), set.end(), type) != set.end();
}

// ------------------------------------------------------------------ token families

// The reserved words (a contiguous range in the lexer).
const TokenSet& keywords() {
  static const TokenSet set = [] {
    TokenSet s;
    for (size_t t = StapLexer::PROBE; t <= StapLexer::CATCH; ++t) s.push_back(t);
    return s;
  }();
  return set;
}

// Tokens that can start an operand (a unary expression).
const TokenSet& operandStarts() {
  static const TokenSet set = {
      StapLexer::IDENTIFIER, StapLexer::NUMBER, StapLexer::STRING, StapLexer::LPAREN,
      StapLexer::MINUS, StapLexer::PLUS, StapLexer::BANG, StapLexer::TILDE,
      StapLexer::INCREMENT, StapLexer::DECREMENT, StapLexer::AMP, StapLexer::TARGET_NAME,
      StapLexer::AT_CAST, StapLexer::AT_VAR, StapLexer::AT_DEFINED, StapLexer::AT_ENTRY,
      StapLexer::AT_PERF, StapLexer::AT_CONST, StapLexer::AT_PROBEWRITE, StapLexer::AT_KREGISTER,
      StapLexer::AT_UREGISTER, StapLexer::AT_KDEREF, StapLexer::AT_UDEREF, StapLexer::AT_COUNT,
      StapLexer::AT_SUM, StapLexer::AT_MIN, StapLexer::AT_MAX, StapLexer::AT_AVG,
      StapLexer::AT_VARIANCE, StapLexer::AT_HIST_LOG, StapLexer::AT_HIST_LINEAR,
      StapLexer::AT_WORD, StapLexer::EMBEDDED_CODE};
  return set;
}

// Tokens that can start a statement but not an expression.
const TokenSet& statementKeywords() {
  static const TokenSet set = {
      StapLexer::LBRACE, StapLexer::SEMICOLON, StapLexer::TRY, StapLexer::IF,
      StapLexer::FOR, StapLexer::WHILE, StapLexer::FOREACH, StapLexer::RETURN,
      StapLexer::DELETE, StapLexer::NEXT, StapLexer::BREAK, StapLexer::CONTINUE};
  return set;
}

const TokenSet& assignmentOperators() {
  static const TokenSet set = {
      StapLexer::ASSIGN, StapLexer::AGGREGATE, StapLexer::ADD_ASSIGN, StapLexer::SUB_ASSIGN,
      StapLexer::MUL_ASSIGN, StapLexer::DIV_ASSIGN, StapLexer::MOD_ASSIGN, StapLexer::SHL_ASSIGN,
      StapLexer::SHR_ASSIGN, StapLexer::AND_ASSIGN, StapLexer::XOR_ASSIGN, StapLexer::OR_ASSIGN,
      StapLexer::CONCAT_ASSIGN};
  return set;
}

const TokenSet& comparisonOperators() {
  static const TokenSet set = {StapLexer::EQ, StapLexer::NE, StapLexer::LT,
                               StapLexer::LE, StapLexer::GT, StapLexer::GE};
  return set;
}

// Tokens that continue an expression after an operand.
const TokenSet& operatorTokens() {
  static const TokenSet set = join({assignmentOperators(), comparisonOperators(), {
      StapLexer::UNSIGNED_SHR, StapLexer::REGEX_MATCH, StapLexer::REGEX_NOMATCH,
      StapLexer::LOGICAL_AND, StapLexer::LOGICAL_OR, StapLexer::INCREMENT, StapLexer::DECREMENT,
      StapLexer::ARROW, StapLexer::SHL, StapLexer::SHR, StapLexer::PLUS, StapLexer::MINUS,
      StapLexer::STAR, StapLexer::SLASH, StapLexer::PERCENT, StapLexer::AMP, StapLexer::PIPE,
      StapLexer::CARET, StapLexer::QUESTION, StapLexer::DOT, StapLexer::IN, StapLexer::LBRACKET,
      StapLexer::DOLLARS}});
  return set;
}

const TokenSet& declarationStarts() {
  static const TokenSet set = {StapLexer::PROBE, StapLexer::GLOBAL, StapLexer::PRIVATE,
                               StapLexer::FUNCTION, StapLexer::EMBEDDED_CODE};
  return set;
}

// What a probe point component name is made of (grammar rule componentNamePart).
const TokenSet& componentNameTokens() {
  static const TokenSet set = [] {
    TokenSet s = {StapLexer::IDENTIFIER, StapLexer::STAR};
    for (size_t t : keywords())
      if (t != StapLexer::IF) s.push_back(t);
    return s;
  }();
  return set;
}

const TokenSet& atOperators() {
  static const TokenSet set = [] {
    TokenSet s;
    for (size_t t = StapLexer::AT_CAST; t <= StapLexer::AT_HIST_LINEAR; ++t) s.push_back(t);
    return s;
  }();
  return set;
}

// A family of tokens that reads as one word when all of them are expected.  Checked in
// order; a family's tokens (and `alsoRemoved`) are then left out of the listing.
struct Family {
  const char* phrase;
  TokenSet tokens;
  TokenSet alsoRemoved;
};

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"a statement", join({statementKeywords(), operandStarts()}), {StapLexer::LBRACKET}},
      {"an expression", operandStarts(), {StapLexer::LBRACKET}},
      {"an operator", operatorTokens(), {}},
      {"'probe', 'global', 'private', 'function' or '%{'", declarationStarts(), {}},
      {"a probe point", componentNameTokens(), {StapLexer::LBRACE}},
      {"a comparison operator ('==', '!=', '<', '<=', '>' or '>=')", comparisonOperators(), {}},
  };
  return table;
}

// What a single token is called in a given place, when its plain name would be vague
// ("an identifier" where a variable name is meant).  `drop` lists alternatives not worth
// mentioning next to it (a probe body is what is missing, far more often than an alias's
// '=').
struct ContextName {
  size_t rule;
  size_t previous;  // type of the token before the error, or kAny
  size_t token;
  const char* phrase;
  TokenSet drop;
};

const std::vector<ContextName>& contextNames() {
  static const std::vector<ContextName> table = {
      {StapParser::RuleGlobalDeclaration, kAny, StapLexer::IDENTIFIER, "a variable name", {}},
      {StapParser::RuleGlobalVariable, kAny, StapLexer::IDENTIFIER, "a variable name", {}},
      {StapParser::RuleFunctionName, kAny, StapLexer::IDENTIFIER, "a function name",
       {StapLexer::STRING_KW, StapLexer::LONG_KW}},
      {StapParser::RuleFunctionDeclaration, StapLexer::LPAREN, StapLexer::IDENTIFIER,
       "a parameter name", {}},
      {StapParser::RuleFunctionDeclaration, StapLexer::COMMA, StapLexer::IDENTIFIER,
       "a parameter name", {}},
      {StapParser::RuleParameter, kAny, StapLexer::IDENTIFIER, "a parameter name", {}},
      {StapParser::RuleProbeArgument, kAny, StapLexer::NUMBER, "a literal number", {}},
      {StapParser::RuleProbeArgument, kAny, StapLexer::STRING, "a literal string", {}},
      {StapParser::RuleComparison, StapLexer::REGEX_MATCH, StapLexer::STRING,
       "a literal string (the regular expression)", {}},
      {StapParser::RuleComparison, StapLexer::REGEX_NOMATCH, StapLexer::STRING,
       "a literal string (the regular expression)", {}},
      {StapParser::RuleStringLiteral, StapLexer::REGEX_MATCH, StapLexer::STRING,
       "a literal string (the regular expression)", {}},
      {StapParser::RuleStringLiteral, StapLexer::REGEX_NOMATCH, StapLexer::STRING,
       "a literal string (the regular expression)", {}},
      {StapParser::RuleStatement, StapLexer::RBRACE, StapLexer::CATCH,
       "'catch' after the 'try' block", {}},
      {StapParser::RuleProbeDeclaration, kAny, StapLexer::LBRACE, "'{' to start the probe body",
       {StapLexer::ASSIGN, StapLexer::ADD_ASSIGN}},
      {StapParser::RuleFunctionDeclaration, kAny, StapLexer::LBRACE,
       "'{' to start the function body", {StapLexer::COLON, StapLexer::EMBEDDED_CODE}},
      {StapParser::RuleStatement, StapLexer::LPAREN, StapLexer::IDENTIFIER,
       "a variable name (to hold the error message)", {}},
  };
  return table;
}

// ------------------------------------------------------------------ hints
// Known mistakes, recognized by where the parser is and the tokens around the error.  A
// hint either replaces the message or is appended to it in parentheses.
// In the text, %p is the previous token's text and %o describes the offending token.
struct Hint {
  TokenSet rules;         // the innermost rule at the error is one of these (empty: any)
  TokenSet previous;      // the token before the offending one (empty: any)
  TokenSet offending;     // the offending token (empty: any)
  TokenSet notOffending;  // ... except these
  size_t beforePrevious;  // the token before `previous`, or kAny
  bool replace;
  const char* text;
  bool sameLine = false;  // only when the offending token is on the previous token's line
};

// The rules in which a probe point's tokens are read.
const TokenSet& probeRules() {
  static const TokenSet set = {StapParser::RuleProbeDeclaration, StapParser::RuleProbePointList,
                               StapParser::RuleProbePoint, StapParser::RuleProbeComponent,
                               StapParser::RuleComponentNamePart};
  return set;
}

const std::vector<Hint>& hints() {
  static const std::vector<Hint> table = {
      {probeRules(), {StapLexer::BANG}, {StapLexer::QUESTION}, {}, kAny, true,
       "'!' already makes a probe point optional: write '!' or '?', not both"},
      {probeRules(), join({componentNameTokens(), {StapLexer::RPAREN, StapLexer::QUESTION,
                                                   StapLexer::BANG}}),
       {StapLexer::PROBE, StapLexer::GLOBAL, StapLexer::FUNCTION, StapLexer::PRIVATE}, {},
       kAny, true, "unexpected %o: expected '{' to start the probe body"},
      {probeRules(), {StapLexer::NUMBER, StapLexer::STRING}, operatorTokens(), {}, kAny, false,
       "a probe point argument must be a literal number or string"},
      {probeRules(), {StapLexer::QUESTION, StapLexer::BANG},
       {StapLexer::DOT, StapLexer::LPAREN}, {}, kAny, true,
       "'%p' can only come after the last component of a probe point"},
      {probeRules(), {}, {StapLexer::IF}, {}, kAny, true,
       "a probe point can have only one condition: combine them with '&&'"},
      {probeRules(), join({componentNameTokens(), {StapLexer::RPAREN}}),
       componentNameTokens(), {}, kAny, true,
       "unexpected %o after '%p': probe point components are joined with '.' (without "
       "spaces), and the probe body starts with '{'",
       /*sameLine=*/true},
      {{}, {StapLexer::PRIVATE}, {},
       {StapLexer::GLOBAL, StapLexer::FUNCTION, StapLexer::IDENTIFIER}, kAny, true,
       "unexpected %o after 'private': only globals and functions can be private"},
      {{StapParser::RuleFunctionDeclaration}, {StapLexer::COLON},
       {StapLexer::STRING_KW, StapLexer::LONG_KW}, {}, kAny, true,
       "a function's return type goes after its name ('function name:long (...)'), not "
       "after the parameter list"},
      {{StapParser::RuleScript}, {StapLexer::RBRACE}, {StapLexer::SEMICOLON}, {}, kAny, true,
       "unexpected ';' after '}': a probe or function body is not followed by ';'"},
      {{StapParser::RuleScript}, {StapLexer::NUMBER, StapLexer::STRING}, operatorTokens(), {},
       StapLexer::ASSIGN, true,
       "a global's initial value must be a literal number or string, not an expression"},
      {{StapParser::RuleScript}, {StapLexer::IDENTIFIER}, {StapLexer::IDENTIFIER}, {}, kAny, true,
       "unexpected %o: the names in a 'global' declaration are separated by ','",
       /*sameLine=*/true},
      {{StapParser::RuleScript}, {StapLexer::RBRACKET}, {StapLexer::PERCENT}, {}, kAny, true,
       "the wrap-around mark '%' goes before the array size: 'global name%[size]'"},
      {{StapParser::RuleStatement}, {}, {StapLexer::COMMA}, {}, kAny, false,
       "SystemTap has no comma operator"},
      {{StapParser::RuleBlock}, {}, {StapLexer::ELSE}, {}, kAny, true,
       "'else' without a matching 'if'"},
      {{}, {StapLexer::NEXT, StapLexer::BREAK, StapLexer::CONTINUE},
       join({assignmentOperators(), {StapLexer::LBRACKET, StapLexer::INCREMENT,
                                     StapLexer::DECREMENT}}),
       {}, kAny, true, "'%p' is a reserved word and cannot be used as a variable name"},
      {{}, {StapLexer::IDENTIFIER}, comparisonOperators(), {}, StapLexer::IN, false,
       "to compare the result of 'in', put it in parentheses: '(key in array) == value'"},
      {{StapParser::RuleForeachHead}, {StapLexer::IDENTIFIER}, {},
       {StapLexer::IN, StapLexer::ASSIGN, StapLexer::PLUS, StapLexer::MINUS},
       StapLexer::LPAREN, true, "expected 'in' after the loop variable '%p'"},
  };
  return table;
}

// ------------------------------------------------------------------ brackets
// What an opening token starts, by the rule it belongs to.  Used to say which bracket a
// missing closer belongs to ("to close the argument list of 'printf' started at 3:5").
struct Opener {
  size_t rule;
  size_t openToken;
  size_t closeToken;
  const char* what;     // may contain %s for a name taken from the rule's first identifier
  const char* unnamed;  // `what` when that name is missing (an earlier error)
};

const std::vector<Opener>& openers() {
  static const std::vector<Opener> table = {
      {StapParser::RuleProbeComponent, StapLexer::LPAREN, StapLexer::RPAREN, "the probe point argument list", ""},
      {StapParser::RuleProbeComponent, StapLexer::LBRACE, StapLexer::RBRACE, "the probe point group", ""},
      {StapParser::RuleProbeCondition, StapLexer::LPAREN, StapLexer::RPAREN, "the probe condition", ""},
      {StapParser::RuleFunctionDeclaration, StapLexer::LPAREN, StapLexer::RPAREN, "the parameter list of function '%s'", "the parameter list"},
      {StapParser::RuleGlobalVariable, StapLexer::LBRACKET, StapLexer::RBRACKET, "the size of global '%s'", "the array size"},
      {StapParser::RuleBlock, StapLexer::LBRACE, StapLexer::RBRACE, "the block", ""},
      {StapParser::RuleStatement, StapLexer::LPAREN, StapLexer::RPAREN, "%s", ""},  // statementParts()
      {StapParser::RuleForeachHead, StapLexer::LBRACKET, StapLexer::RBRACKET, "the key list", ""},
      {StapParser::RuleArrayIn, StapLexer::LBRACKET, StapLexer::RBRACKET, "the key list", ""},
      {StapParser::RuleTargetComponent, StapLexer::LBRACKET, StapLexer::RBRACKET, "the index", ""},
      {StapParser::RuleValue, StapLexer::LPAREN, StapLexer::RPAREN, "%s", ""},  // describeValueOpener()
      {StapParser::RuleValue, StapLexer::LBRACKET, StapLexer::RBRACKET, "%s", ""},
      {StapParser::RuleHistogram, StapLexer::LPAREN, StapLexer::RPAREN, "the arguments of '%s'", "the arguments"},
  };
  return table;
}

// The parenthesized part of a statement, by the statement's first keyword.
const std::map<size_t, const char*>& statementParts() {
  static const std::map<size_t, const char*> table = {
      {StapLexer::IF, "the condition of 'if'"},
      {StapLexer::WHILE, "the condition of 'while'"},
      {StapLexer::FOR, "the header of 'for'"},
      {StapLexer::FOREACH, "the header of 'foreach'"},
      {StapLexer::TRY, "the variable of 'catch'"},
  };
  return table;
}

// How each @-operator is written, added to errors inside its parentheses.
const std::map<size_t, const char*>& operatorUsage() {
  static const std::map<size_t, const char*> table = {
      {StapLexer::AT_CAST, "@cast(address, \"type\"[, \"module\"])"},
      {StapLexer::AT_VAR, "@var(\"name\"[, \"module\"])"},
      {StapLexer::AT_DEFINED, "@defined(expression)"},
      {StapLexer::AT_ENTRY, "@entry(expression)"},
      {StapLexer::AT_PERF, "@perf(\"counter\")"},
      {StapLexer::AT_CONST, "@const(\"C expression\")"},
      {StapLexer::AT_PROBEWRITE, "@probewrite(variable)"},
      {StapLexer::AT_KREGISTER, "@kregister(number)"},
      {StapLexer::AT_UREGISTER, "@uregister(number)"},
      {StapLexer::AT_KDEREF, "@kderef(size, address)"},
      {StapLexer::AT_UDEREF, "@uderef(size, address)"},
      {StapLexer::AT_COUNT, "@count(statistic)"},
      {StapLexer::AT_SUM, "@sum(statistic)"},
      {StapLexer::AT_MIN, "@min(statistic)"},
      {StapLexer::AT_MAX, "@max(statistic)"},
      {StapLexer::AT_AVG, "@avg(statistic)"},
      {StapLexer::AT_VARIANCE, "@variance(statistic[, shift])"},
      {StapLexer::AT_HIST_LOG, "@hist_log(statistic)"},
      {StapLexer::AT_HIST_LINEAR, "@hist_linear(statistic, low, high, width)"},
  };
  return table;
}

// ------------------------------------------------------------------ helpers

std::string tokenName(antlr4::Parser* parser, size_t type) {
  switch (type) {
    case antlr4::Token::EOF: return "end of file";
    case StapLexer::IDENTIFIER: return "an identifier";
    case StapLexer::NUMBER: return "a number";
    case StapLexer::STRING: return "a string literal";
    case StapLexer::TARGET_NAME: return "a target variable";
    case StapLexer::EMBEDDED_CODE: return "'%{'";
    case StapLexer::AT_WORD: return "a macro";
    case StapLexer::DOLLARS: return "'$'";
    default: break;
  }
  std::string literal = parser->getVocabulary().getLiteralName(type);
  return literal.empty() ? parser->getVocabulary().getDisplayName(type) : literal;
}

bool containsAll(const antlr4::misc::IntervalSet& set, const TokenSet& tokens) {
  return std::all_of(tokens.begin(), tokens.end(), [&](size_t t) { return set.contains(t); });
}

std::string joinAlternatives(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

antlr4::ParserRuleContext* parentOf(antlr4::ParserRuleContext* c) {
  return dynamic_cast<antlr4::ParserRuleContext*>(c->parent);
}

// Describes what the value rule is opening: "the argument list of 'printf'", etc.
std::string describeValueOpener(antlr4::ParserRuleContext* ctx) {
  if (auto* call = dynamic_cast<StapParser::FunctionCallContext*>(ctx))
    return "the argument list of '" + call->IDENTIFIER()->getText() + "'";
  if (dynamic_cast<StapParser::ParenthesizedContext*>(ctx)) return "the parenthesized expression";
  if (dynamic_cast<StapParser::SymbolOrArrayIndexContext*>(ctx)) return "the array index";
  if (auto* start = ctx->getStart())
    return "the arguments of '" + start->getText() + "'";
  return "the expression";
}

antlr4::tree::TerminalNode* findChildToken(antlr4::ParserRuleContext* ctx, size_t type) {
  for (auto* child : ctx->children)
    if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(child))
      if (t->getSymbol()->getType() == type) return t;
  return nullptr;
}

antlr4::Token* tokenAt(antlr4::Parser* p, size_t index) {
  auto* stream = p->getTokenStream();
  return index < stream->size() ? stream->get(index) : nullptr;
}

// The token before `t` in the stream (not ANTLR's LT(-1), which differs from it when a
// prediction failed several tokens ahead).
antlr4::Token* tokenBefore(antlr4::Parser* p, antlr4::Token* t) {
  if (!t) return nullptr;
  size_t i = t->getTokenIndex();
  if (i == 0 || i == INVALID_INDEX) return nullptr;
  return tokenAt(p, i - 1);
}

bool isSuspect(const antlr4::Token* t) {
  auto* st = dynamic_cast<const StapToken*>(t);
  return st && st->suspect();
}

bool isKeyword(const antlr4::Token* t) { return t && in(t->getType(), keywords()); }

// Replaces %p and %o in a hint's text.
std::string expandHint(const char* text, antlr4::Token* offending, antlr4::Token* previous) {
  std::string out;
  for (const char* c = text; *c; ++c) {
    if (c[0] == '%' && c[1] == 'p') {
      out += previous ? previous->getText() : "";
      ++c;
    } else if (c[0] == '%' && c[1] == 'o') {
      out += describeToken(offending->getType(), offending->getText());
      ++c;
    } else {
      out += *c;
    }
  }
  return out;
}

const Hint* findHint(antlr4::Parser* p, antlr4::ParserRuleContext* ctx, antlr4::Token* offending,
                     antlr4::Token* previous) {
  antlr4::Token* beforePrevious = tokenBefore(p, previous);
  for (const Hint& h : hints()) {
    if (!h.rules.empty() && (!ctx || !in(ctx->getRuleIndex(), h.rules))) continue;
    if (!h.previous.empty() && (!previous || !in(previous->getType(), h.previous))) continue;
    if (!h.offending.empty() && !in(offending->getType(), h.offending)) continue;
    if (in(offending->getType(), h.notOffending)) continue;
    if (h.beforePrevious != kAny &&
        (!beforePrevious || beforePrevious->getType() != h.beforePrevious))
      continue;
    if (h.sameLine && (!previous || tokenLocation(previous, nullptr).endLine !=
                                        tokenLocation(offending, nullptr).line))
      continue;
    return &h;
  }
  return nullptr;
}

// `do { ... } while (c)`: SystemTap has no do-while loop.  `do` parses as a variable and
// `{ ... }` as a block, so the error only shows after the `while` header; point at `do`.
antlr4::Token* findDoOfDoWhile(antlr4::Parser* p, antlr4::ParserRuleContext* ctx) {
  StapParser::WhileStatementContext* loop = nullptr;
  for (auto* c = ctx; c && !loop; c = parentOf(c))
    loop = dynamic_cast<StapParser::WhileStatementContext*>(c);
  if (!loop) return nullptr;
  antlr4::Token* t = tokenBefore(p, loop->getStart());
  if (!t || t->getType() != StapLexer::RBRACE) return nullptr;
  for (int depth = 0; t; t = tokenBefore(p, t)) {
    if (t->getType() == StapLexer::RBRACE) ++depth;
    if (t->getType() == StapLexer::LBRACE && --depth == 0) break;
  }
  antlr4::Token* word = tokenBefore(p, t);
  return word && word->getType() == StapLexer::IDENTIFIER && word->getText() == "do" ? word
                                                                                      : nullptr;
}

// A declaration keyword at the start of a line: where panic-mode recovery stops.
bool startsDeclaration(antlr4::Parser* p, antlr4::Token* t) {
  if (!in(t->getType(), {StapLexer::PROBE, StapLexer::GLOBAL, StapLexer::PRIVATE,
                         StapLexer::FUNCTION}))
    return false;
  antlr4::Token* before = tokenBefore(p, t);
  if (!before) return true;
  SourceLocation a = tokenLocation(before, nullptr), b = tokenLocation(t, nullptr);
  return a.endLine < b.line || a.file != b.file;
}

}  // namespace

// ====================================================================== the strategy

void SyntaxErrorReporter::attach(antlr4::Parser& parser) {
  parser.removeErrorListeners();
  parser.setErrorHandler(std::shared_ptr<antlr4::ANTLRErrorStrategy>(
      this, [](antlr4::ANTLRErrorStrategy*) {}));  // not owned by the parser
}

std::string SyntaxErrorReporter::unexpected(antlr4::Token* token) const {
  if (token->getType() == antlr4::Token::EOF) return "unexpected " + endName_;
  return "unexpected " + describeToken(token->getType(), token->getText());
}

std::string SyntaxErrorReporter::expectation(antlr4::Parser* recognizer,
                                             const antlr4::misc::IntervalSet& expectedIn,
                                             antlr4::ParserRuleContext* ctx,
                                             antlr4::Token* offending, antlr4::Token* previous) {
  antlr4::misc::IntervalSet expected = expectedIn;
  size_t rule = ctx ? ctx->getRuleIndex() : kAny;
  size_t prevType = previous ? previous->getType() : kAny;
  std::vector<std::string> items;

  // Preprocessor conditions: name the operands SystemTap allows.
  if (rule == StapParser::RulePpOperand || rule == StapParser::RulePpComparison ||
      rule == StapParser::RulePpCondition) {
    if (expected.contains(size_t(StapLexer::IDENTIFIER)) &&
        expected.contains(size_t(StapLexer::STRING))) {
      bool right = previous && in(prevType, comparisonOperators());
      return right ? "expected a string, a number or a CONFIG_ option to compare with"
                   : std::string("expected ") + kConditionOperands;
    }
  }

  // After a complete probe point component, name tokens could only have continued it if
  // written without a space (`*read*`): they are not worth listing.
  if (in(rule, probeRules()) && previous &&
      in(prevType, join({componentNameTokens(), {StapLexer::RPAREN}})))
    for (size_t t : componentNameTokens()) expected.remove(t);

  // Collapse big families into words.
  for (const Family& f : families()) {
    if (!containsAll(expected, f.tokens)) continue;
    std::string phrase = f.phrase;
    if (phrase == "a probe point" && prevType == StapLexer::DOT) phrase = "a probe point component";
    items.push_back(phrase);
    for (size_t t : f.tokens) expected.remove(t);
    for (size_t t : f.alsoRemoved) expected.remove(t);
  }
  bool expression = !items.empty() && (items[0] == "an expression" || items[0] == "a statement");
  // A sign is part of a number to a user ("begin(-1)").
  if (!expression && expected.contains(size_t(StapLexer::NUMBER))) expected.remove(size_t(StapLexer::MINUS));
  bool onlyEof = expected.size() == 1 && expected.contains(antlr4::Token::EOF);
  if (!onlyEof || items.empty()) {
    if (!items.empty() || expected.size() > 1) expected.remove(antlr4::Token::EOF);
    for (const ContextName& n : contextNames()) {
      if (n.rule != rule || !expected.contains(n.token)) continue;
      if (n.previous != kAny && n.previous != prevType) continue;
      items.push_back(n.phrase);
      expected.remove(n.token);
      for (size_t t : n.drop) expected.remove(t);
    }
    for (size_t t : expected.toList()) items.push_back(tokenName(recognizer, t));
  }
  if (items.empty()) return {};
  if (items.size() > 8) return {};  // too broad to be useful

  std::string out = "expected " + joinAlternatives(items);
  // "expected an expression after '+'", "expected '(' after 'if'"
  bool bareOperand = items.size() == 1 && items[0] == "an expression";
  bool bareParen = items.size() == 1 && items[0] == "'('";
  if (previous && ((bareOperand && !in(prevType, {StapLexer::IDENTIFIER, StapLexer::NUMBER,
                                                  StapLexer::STRING, StapLexer::TARGET_NAME})) ||
                   (bareParen && (isKeyword(previous) || in(prevType, atOperators())))))
    out += " after '" + previous->getText() + "'";

  // Closing bracket context: find the innermost rule with an unmatched opening bracket.  If
  // its closer is what we expect, say which bracket it closes; if not, the missing token
  // is not a closer and no outer bracket is relevant either.
  const Opener* found = nullptr;
  antlr4::tree::TerminalNode* open = nullptr;
  antlr4::ParserRuleContext* c = ctx;
  for (; c; c = parentOf(c)) {
    bool unmatched = false;
    for (const Opener& o : openers()) {
      if (o.rule != c->getRuleIndex()) continue;
      auto* t = findChildToken(c, o.openToken);
      if (!t || findChildToken(c, o.closeToken)) continue;
      unmatched = true;
      if (expectedIn.contains(o.closeToken)) {
        found = &o;
        open = t;
        break;
      }
    }
    if (unmatched) break;
  }
  if (found) {
    const Opener& info = *found;
    std::string what = info.what;
    size_t pct = what.find("%s");
    if (pct != std::string::npos) {
      std::string name;
      if (c->getRuleIndex() == StapParser::RuleValue) {
        what = describeValueOpener(c);
      } else if (c->getRuleIndex() == StapParser::RuleStatement) {
        auto part = statementParts().find(c->getStart()->getType());
        what = part != statementParts().end() ? part->second : "the parenthesized expression";
      } else {
        if (auto* fn = dynamic_cast<StapParser::FunctionDeclarationContext*>(c))
          name = fn->functionName() ? fn->functionName()->getText() : "";
        else if (auto* gv = dynamic_cast<StapParser::GlobalVariableContext*>(c))
          name = gv->IDENTIFIER() ? gv->IDENTIFIER()->getText() : "";
        else if (c->getStart())
          name = c->getStart()->getText();
        if (name.empty()) what = info.unnamed;
        else what.replace(pct, 2, name);
      }
    }
    SourceLocation openLoc = tokenLocation(open->getSymbol(), file_);
    out += " to close " + what + " started at " + std::to_string(openLoc.line) + ":" +
           std::to_string(openLoc.column);
  }
  // Inside an @-operator's own parentheses (not in a nested expression): show its usage.
  for (c = ctx; c; c = parentOf(c)) {
    size_t r = c->getRuleIndex();
    if (r == StapParser::RuleValue || r == StapParser::RuleHistogram) {
      auto usage = operatorUsage().find(c->getStart()->getType());
      if (usage != operatorUsage().end() && !findChildToken(c, StapLexer::RPAREN))
        out += std::string(" (usage: ") + usage->second + ")";
      break;
    }
    if (r != StapParser::RuleStringLiteral && r != StapParser::RuleStatOperator) break;
  }
  // A keyword where a name was expected: say why the word does not count as one.
  if (isKeyword(offending) && expectedIn.contains(size_t(StapLexer::IDENTIFIER)) &&
      expectedIn.size() == 1)
    out += " ('" + offending->getText() + "' is a reserved word)";
  return out;
}

void SyntaxErrorReporter::reportSyntaxError(antlr4::Parser* recognizer, antlr4::Token* offending,
                                            const antlr4::misc::IntervalSet& expected,
                                            Style style) {
  antlr4::ParserRuleContext* ctx = recognizer->getContext();
  antlr4::Token* previous = tokenBefore(recognizer, offending);

  if (antlr4::Token* word = findDoOfDoWhile(recognizer, ctx)) {
    report(recognizer, word, tokenBefore(recognizer, word),
           "SystemTap has no 'do ... while' loop: write 'while (condition) { ... }'", false);
    return;
  }
  const Hint* hint = findHint(recognizer, ctx, offending, previous);
  if (hint && hint->replace) {
    report(recognizer, offending, previous, expandHint(hint->text, offending, previous),
           style == Style::Expected);
    return;
  }
  // "expected ')'" alone when one particular token is missing; when several would fit,
  // the message starts with the token that is there instead.
  antlr4::misc::IntervalSet alternatives = expected;
  alternatives.remove(antlr4::Token::EOF);
  if (style == Style::Expected && alternatives.size() > 1) style = Style::Unexpected;
  std::string expectedText =
      style == Style::UnexpectedOnly ? std::string()
                                     : expectation(recognizer, expected, ctx, offending, previous);
  std::string message;
  if (style == Style::Expected && !expectedText.empty()) {
    message = expectedText;
    if (offending->getType() == antlr4::Token::EOF) message = unexpected(offending) + ": " + message;
  } else {
    message = unexpected(offending);
    if (!expectedText.empty()) message += ": " + expectedText;
  }
  if (hint) message += " (" + expandHint(hint->text, offending, previous) + ")";
  report(recognizer, offending, previous, message, style == Style::Expected);
}

void SyntaxErrorReporter::report(antlr4::Parser* recognizer, antlr4::Token* offending,
                                 antlr4::Token* previous, std::string message,
                                 bool pointAfterPrevious) {
  ++reported_;
  lastErrorShown_ = false;
  // One error per declaration: find the top-level declaration being parsed.  A
  // preprocessor condition is one "declaration".
  antlr4::ParserRuleContext* top = nullptr;
  antlr4::ParserRuleContext* root = recognizer->getContext();
  while (root && parentOf(root)) {
    top = root;
    root = parentOf(root);
  }
  long key = 0;
  if (root && root->getRuleIndex() == StapParser::RuleScript) {
    if (top) {
      key = static_cast<long>(top->getStart()->getTokenIndex());
    } else {
      // Between declarations.  Right after a declaration that had an error, this is
      // usually its rest (a '}' that closed it early), not a new mistake.
      // The last declaration, found from the end: only the tokens skipped since it follow
      // it.  (Listing all declarations on every error made junk input quadratic.)
      StapParser::DeclarationContext* last = nullptr;
      for (auto it = root->children.rbegin(); it != root->children.rend() && !last; ++it)
        last = dynamic_cast<StapParser::DeclarationContext*>(*it);
      if (haveErrorDeclaration_ && last &&
          static_cast<long>(last->getStart()->getTokenIndex()) == errorDeclaration_)
        return;
      key = -2 - static_cast<long>(offending->getTokenIndex());
    }
  }
  if (haveErrorDeclaration_ && key == errorDeclaration_) return;
  haveErrorDeclaration_ = true;
  errorDeclaration_ = key;
  // Consequences of an error the preprocessor already reported.
  if (isSuspect(offending) || isSuspect(previous)) return;
  if (++shown_ > kMaxErrorsPerFile) return;

  SourceLocation loc = tokenLocation(offending, file_);
  // A missing token at the end of a line is best shown right after the previous token.
  if (pointAfterPrevious && previous) {
    SourceLocation prevLoc = tokenLocation(previous, file_);
    if (prevLoc.valid() && prevLoc.file == loc.file && prevLoc.endLine < loc.line) {
      loc = prevLoc;
      loc.line = loc.endLine;
      loc.column = loc.endColumn;
      loc.endColumn = loc.column + 1;
    }
  }
  if (shown_ == kMaxErrorsPerFile) message += " (further syntax errors in this file are not shown)";
  diags_.error(loc, message);
  lastErrorShown_ = true;
}

void SyntaxErrorReporter::recover(antlr4::Parser* recognizer, std::exception_ptr) {
  // ANTLR's failsafe: never fail twice at the same place without consuming something.
  size_t index = recognizer->getInputStream()->index();
  if (lastErrorIndex == static_cast<int>(index) && lastErrorStates.contains(recognizer->getState()))
    recognizer->consume();
  lastErrorIndex = static_cast<int>(recognizer->getInputStream()->index());
  lastErrorStates.add(recognizer->getState());
  skipToDeclaration(recognizer);
}

void SyntaxErrorReporter::skipToDeclaration(antlr4::Parser* recognizer) {
  antlr4::Token* t = recognizer->getCurrentToken();
  SourceLocation from = tokenLocation(t, file_);
  bool skippedAny = false;
  while (t->getType() != antlr4::Token::EOF && !startsDeclaration(recognizer, t)) {
    recognizer->consume();
    t = recognizer->getCurrentToken();
    skippedAny = true;
  }
  if (skippedAny) skipped_.push_back({from, tokenLocation(t, file_), lastErrorShown_});
}

void SyntaxErrorReporter::sync(antlr4::Parser* recognizer) {
  // ANTLR's own resynchronization would stop at any token that can start a declaration,
  // such as the `function` of `kprobe.function("f")` in a line that lost its `probe`, and
  // report a second error there.  Skip to a declaration that starts a line instead.
  if (recognizer->getContext()->getRuleIndex() == StapParser::RuleScript &&
      !inErrorRecoveryMode(recognizer)) {
    antlr4::Token* t = recognizer->getCurrentToken();
    if (t->getType() != antlr4::Token::EOF && !in(t->getType(), declarationStarts())) {
      beginErrorCondition(recognizer);
      reportSyntaxError(recognizer, t, getExpectedTokens(recognizer), Style::Unexpected);
      skipToDeclaration(recognizer);
      return;
    }
  }
  antlr4::DefaultErrorStrategy::sync(recognizer);
}

void SyntaxErrorReporter::reportNoViableAlternative(antlr4::Parser* recognizer,
                                                    const antlr4::NoViableAltException& e) {
  // The expected set is the one where the failed decision started; when the prediction
  // failed further on, it does not describe the offending position.
  bool midway = e.getStartToken() != e.getOffendingToken();
  reportSyntaxError(recognizer, e.getOffendingToken(), e.getExpectedTokens(),
                    midway ? Style::UnexpectedOnly : Style::Unexpected);
}

void SyntaxErrorReporter::reportInputMismatch(antlr4::Parser* recognizer,
                                              const antlr4::InputMismatchException& e) {
  reportSyntaxError(recognizer, e.getOffendingToken(), e.getExpectedTokens(), Style::Expected);
}

void SyntaxErrorReporter::reportFailedPredicate(antlr4::Parser* recognizer,
                                                const antlr4::FailedPredicateException& e) {
  antlr4::Token* t = e.getOffendingToken();
  report(recognizer, t, tokenBefore(recognizer, t),
         "a wildcard probe point component must not contain spaces", false);
}

void SyntaxErrorReporter::reportUnwantedToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  reportSyntaxError(recognizer, recognizer->getCurrentToken(), getExpectedTokens(recognizer),
                    Style::Unexpected);
}

void SyntaxErrorReporter::reportMissingToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  reportSyntaxError(recognizer, recognizer->getCurrentToken(), getExpectedTokens(recognizer),
                    Style::Expected);
}

antlr4::Token* SyntaxErrorReporter::getMissingSymbol(antlr4::Parser* recognizer) {
  antlr4::Token* current = recognizer->getCurrentToken();
  antlr4::Token* lookback = recognizer->getTokenStream()->LT(-1);
  if (current->getType() == antlr4::Token::EOF && lookback) current = lookback;
  size_t type = getExpectedTokens(recognizer).getMinElement();
  conjured_.push_back(std::make_unique<StapToken>(
      type, "<missing " + tokenName(recognizer, type) + ">", tokenLocation(current, file_), true));
  return conjured_.back().get();
}

}  // namespace stp2bpf::frontend
