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

// Tokens that can start an expression; a set containing all of them reads "an expression".
const std::vector<size_t>& expressionStarts() {
  static const std::vector<size_t> set = {
      StapLexer::IDENTIFIER, StapLexer::NUMBER, StapLexer::STRING, StapLexer::LPAREN,
      StapLexer::MINUS, StapLexer::PLUS, StapLexer::BANG, StapLexer::TILDE,
      StapLexer::INCREMENT, StapLexer::DECREMENT, StapLexer::AMP, StapLexer::TARGET_NAME,
      StapLexer::AT_CAST, StapLexer::AT_VAR, StapLexer::AT_DEFINED, StapLexer::AT_ENTRY,
      StapLexer::AT_PERF, StapLexer::AT_CONST, StapLexer::AT_PROBEWRITE, StapLexer::AT_KREGISTER,
      StapLexer::AT_UREGISTER, StapLexer::AT_KDEREF, StapLexer::AT_UDEREF, StapLexer::AT_COUNT,
      StapLexer::AT_SUM, StapLexer::AT_MIN, StapLexer::AT_MAX, StapLexer::AT_AVG,
      StapLexer::AT_VARIANCE, StapLexer::AT_HIST_LOG, StapLexer::AT_HIST_LINEAR,
      StapLexer::AT_WORD, StapLexer::EMBEDDED_CODE, StapLexer::LBRACKET};
  return set;
}

// Tokens that can start a statement but not an expression.
const std::vector<size_t>& statementKeywords() {
  static const std::vector<size_t> set = {
      StapLexer::LBRACE, StapLexer::SEMICOLON, StapLexer::TRY, StapLexer::IF,
      StapLexer::FOR, StapLexer::WHILE, StapLexer::FOREACH, StapLexer::RETURN,
      StapLexer::DELETE, StapLexer::NEXT, StapLexer::BREAK, StapLexer::CONTINUE};
  return set;
}

// Tokens that continue an expression after an operand.
const std::vector<size_t>& operatorTokens() {
  static const std::vector<size_t> set = {
      StapLexer::AGGREGATE, StapLexer::UNSIGNED_SHR, StapLexer::SHL_ASSIGN, StapLexer::SHR_ASSIGN,
      StapLexer::EQ, StapLexer::NE, StapLexer::LE, StapLexer::GE, StapLexer::REGEX_MATCH,
      StapLexer::REGEX_NOMATCH, StapLexer::ADD_ASSIGN, StapLexer::SUB_ASSIGN,
      StapLexer::MUL_ASSIGN, StapLexer::DIV_ASSIGN, StapLexer::MOD_ASSIGN, StapLexer::AND_ASSIGN,
      StapLexer::XOR_ASSIGN, StapLexer::OR_ASSIGN, StapLexer::CONCAT_ASSIGN,
      StapLexer::LOGICAL_AND, StapLexer::LOGICAL_OR, StapLexer::INCREMENT, StapLexer::DECREMENT,
      StapLexer::ARROW, StapLexer::SHL, StapLexer::SHR, StapLexer::LT, StapLexer::GT,
      StapLexer::ASSIGN, StapLexer::PLUS, StapLexer::MINUS, StapLexer::STAR, StapLexer::SLASH,
      StapLexer::PERCENT, StapLexer::AMP, StapLexer::PIPE, StapLexer::CARET,
      StapLexer::QUESTION, StapLexer::DOT, StapLexer::IN, StapLexer::LBRACKET,
      StapLexer::DOLLARS};
  return set;
}

// What an opening token starts, by the rule it belongs to.  Used to say which bracket a
// missing closer belongs to ("to close the argument list of 'printf' started at 3:5").
struct OpenerInfo {
  size_t openToken;
  size_t closeToken;
  const char* what;  // may contain %s for a name taken from the rule's first identifier
};

const std::map<size_t, OpenerInfo>& openers() {
  static const std::map<size_t, OpenerInfo> table = {
      {StapParser::RuleProbeComponent, {StapLexer::LPAREN, StapLexer::RPAREN, "the probe point argument list"}},
      {StapParser::RuleProbeCondition, {StapLexer::LPAREN, StapLexer::RPAREN, "the probe condition"}},
      {StapParser::RuleProbePointList, {StapLexer::LBRACE, StapLexer::RBRACE, "the probe point group"}},
      {StapParser::RuleFunctionDeclaration, {StapLexer::LPAREN, StapLexer::RPAREN, "the parameter list of function '%s'"}},
      {StapParser::RuleGlobalVariable, {StapLexer::LBRACKET, StapLexer::RBRACKET, "the size of global '%s'"}},
      {StapParser::RuleBlock, {StapLexer::LBRACE, StapLexer::RBRACE, "the block"}},
      {StapParser::RuleStatement, {StapLexer::LPAREN, StapLexer::RPAREN, "the header of this statement"}},
      {StapParser::RuleForeachHead, {StapLexer::LBRACKET, StapLexer::RBRACKET, "the key list"}},
      {StapParser::RuleArrayIn, {StapLexer::LBRACKET, StapLexer::RBRACKET, "the key list"}},
      {StapParser::RuleTargetComponent, {StapLexer::LBRACKET, StapLexer::RBRACKET, "the index"}},
      {StapParser::RuleValue, {StapLexer::LPAREN, StapLexer::RPAREN, "%s"}},
      {StapParser::RuleHistogram, {StapLexer::LPAREN, StapLexer::RPAREN, "the arguments of '%s'"}},
  };
  return table;
}

std::string tokenName(antlr4::Parser* parser, size_t type) {
  switch (type) {
    case antlr4::Token::EOF: return "end of file";
    case StapLexer::IDENTIFIER: return "an identifier";
    case StapLexer::NUMBER: return "a number";
    case StapLexer::STRING: return "a string";
    case StapLexer::TARGET_NAME: return "a target variable";
    case StapLexer::EMBEDDED_CODE: return "'%{'";
    case StapLexer::AT_WORD: return "a macro";
    case StapLexer::DOLLARS: return "'$'";
    default: break;
  }
  std::string literal = parser->getVocabulary().getLiteralName(type);
  return literal.empty() ? parser->getVocabulary().getDisplayName(type) : literal;
}

bool containsAll(const antlr4::misc::IntervalSet& set, const std::vector<size_t>& tokens) {
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

}  // namespace

void SyntaxErrorReporter::attach(antlr4::Parser& parser) {
  parser.removeErrorListeners();
  parser.setErrorHandler(std::shared_ptr<antlr4::ANTLRErrorStrategy>(
      this, [](antlr4::ANTLRErrorStrategy*) {}));  // not owned by the parser
}

std::string SyntaxErrorReporter::expectation(antlr4::Parser* recognizer,
                                             const antlr4::misc::IntervalSet& expectedIn,
                                             antlr4::ParserRuleContext* ctx) {
  antlr4::misc::IntervalSet expected = expectedIn;
  std::vector<std::string> items;
  // Collapse big families into words.
  bool statement = containsAll(expected, statementKeywords()) && containsAll(expected, expressionStarts());
  bool expression = containsAll(expected, expressionStarts());
  bool operators = containsAll(expected, operatorTokens());
  if (statement) {
    items.push_back("a statement");
    for (size_t t : statementKeywords()) expected.remove(t);
  }
  if (expression) {
    if (!statement) items.push_back("an expression");
    for (size_t t : expressionStarts()) expected.remove(t);
  }
  if (operators) {
    items.push_back("an operator");
    for (size_t t : operatorTokens()) expected.remove(t);
  }
  bool onlyEof = expected.size() == 1 && expected.contains(antlr4::Token::EOF);
  bool top = expected.contains(size_t(StapLexer::PROBE)) && expected.contains(size_t(StapLexer::FUNCTION));
  if (top) {
    items.push_back("'probe', 'global', 'private', 'function' or '%{'");
    for (size_t t : {StapLexer::PROBE, StapLexer::GLOBAL, StapLexer::PRIVATE,
                     StapLexer::FUNCTION, StapLexer::EMBEDDED_CODE})
      expected.remove(t);
  }
  if (!onlyEof || items.empty()) {
    if (!items.empty() || expected.size() > 1) expected.remove(antlr4::Token::EOF);
    for (size_t t : expected.toList()) items.push_back(tokenName(recognizer, t));
  }
  if (items.empty()) return {};
  if (items.size() > 8) return {};  // too broad to be useful

  std::string out = "expected " + joinAlternatives(items);

  // Closing bracket context: find the innermost rule that opened the bracket we expect.
  for (auto* c = ctx; c; c = dynamic_cast<antlr4::ParserRuleContext*>(c->parent)) {
    auto it = openers().find(c->getRuleIndex());
    if (it == openers().end()) continue;
    const OpenerInfo& info = it->second;
    if (!expectedIn.contains(info.closeToken)) break;
    auto* open = findChildToken(c, info.openToken);
    if (!open) {
      if (c->getRuleIndex() == StapParser::RuleProbePointList) continue;
      break;
    }
    // The opener must still be unmatched within this rule.
    if (findChildToken(c, info.closeToken)) break;
    std::string what = info.what;
    size_t pct = what.find("%s");
    if (pct != std::string::npos) {
      std::string name;
      if (c->getRuleIndex() == StapParser::RuleValue) {
        what = describeValueOpener(c);
      } else {
        if (auto* fn = dynamic_cast<StapParser::FunctionDeclarationContext*>(c))
          name = fn->functionName() ? fn->functionName()->getText() : "";
        else if (auto* gv = dynamic_cast<StapParser::GlobalVariableContext*>(c))
          name = gv->IDENTIFIER()->getText();
        else if (c->getStart())
          name = c->getStart()->getText();
        what.replace(pct, 2, name);
      }
    }
    SourceLocation openLoc = tokenLocation(open->getSymbol(), file_);
    out += " to close " + what + " started at " + std::to_string(openLoc.line) + ":" +
           std::to_string(openLoc.column);
    break;
  }
  return out;
}

void SyntaxErrorReporter::report(antlr4::Parser* recognizer, antlr4::Token* offending,
                                 std::string message, bool pointAfterPrevious) {
  ++reported_;
  if (reported_ > kMaxErrorsPerFile) return;
  SourceLocation loc = tokenLocation(offending, file_);
  if (offending && offending->getType() == antlr4::Token::EOF)
    message = "unexpected end of file" + (message.empty() ? std::string() : ": " + message);
  // A missing token at the end of a line is best shown right after the previous token.
  if (pointAfterPrevious && recognizer) {
    antlr4::Token* prev = recognizer->getTokenStream()->LT(-1);
    if (prev && offending && prev != offending) {
      SourceLocation prevLoc = tokenLocation(prev, file_);
      if (prevLoc.valid() && prevLoc.file == loc.file && prevLoc.endLine < loc.line) {
        loc = prevLoc;
        loc.line = loc.endLine;
        loc.column = loc.endColumn;
        loc.endColumn = loc.column + 1;
      }
    }
  }
  if (reported_ == kMaxErrorsPerFile) message += " (further syntax errors in this file are not shown)";
  diags_.error(loc, message);
}

void SyntaxErrorReporter::reportNoViableAlternative(antlr4::Parser* recognizer,
                                                    const antlr4::NoViableAltException& e) {
  antlr4::Token* offending = e.getOffendingToken();
  std::string expected = expectation(recognizer, e.getExpectedTokens(), recognizer->getContext());
  std::string message;
  if (offending->getType() != antlr4::Token::EOF)
    message = "unexpected " + describeToken(offending->getType(), offending->getText());
  if (!expected.empty()) message += (message.empty() ? "" : ": ") + expected;
  report(recognizer, offending, message, false);
}

void SyntaxErrorReporter::reportInputMismatch(antlr4::Parser* recognizer,
                                              const antlr4::InputMismatchException& e) {
  antlr4::Token* offending = e.getOffendingToken();
  std::string message = expectation(recognizer, e.getExpectedTokens(), recognizer->getContext());
  if (message.empty())
    message = "unexpected " + describeToken(offending->getType(), offending->getText());
  report(recognizer, offending, message, true);
}

void SyntaxErrorReporter::reportFailedPredicate(antlr4::Parser* recognizer,
                                                const antlr4::FailedPredicateException& e) {
  report(recognizer, e.getOffendingToken(),
         "a wildcard probe point component must not contain spaces", false);
}

void SyntaxErrorReporter::reportUnwantedToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  antlr4::Token* t = recognizer->getCurrentToken();
  std::string message = "unexpected " + describeToken(t->getType(), t->getText());
  std::string expected = expectation(recognizer, getExpectedTokens(recognizer), recognizer->getContext());
  if (!expected.empty()) message += ": " + expected;
  report(recognizer, t, message, false);
}

void SyntaxErrorReporter::reportMissingToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  antlr4::Token* t = recognizer->getCurrentToken();
  std::string message = expectation(recognizer, getExpectedTokens(recognizer), recognizer->getContext());
  if (message.empty()) message = "unexpected " + describeToken(t->getType(), t->getText());
  report(recognizer, t, message, true);
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
