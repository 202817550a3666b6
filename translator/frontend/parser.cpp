#include "frontend/parser.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "BailErrorStrategy.h"
#include "CommonTokenStream.h"
#include "ListTokenSource.h"
#include "StapParser.h"
#include "atn/ParserATNSimulator.h"
#include "atn/PredictionMode.h"
#include "Exceptions.h"
#include "frontend/ast_builder.h"
#include "frontend/syntax_errors.h"
#include "frontend/token.h"
#include "tree/ParseTreeListener.h"

namespace stp2bpf::frontend {

using grammar::StapParser;

namespace {

bool before(const SourceLocation& a, const SourceLocation& b) {
  return std::make_pair(a.line, a.column) < std::make_pair(b.line, b.column);
}

// The lexical errors that lie in text the parser skipped as junk after a syntax error it
// showed (so the file still gets at least that one error).
std::vector<SourceLocation> lexicalErrorsInJunk(const PreprocessedTokens& pre,
                                                const SyntaxErrorReporter& reporter) {
  std::vector<SourceLocation> out;
  for (const SourceLocation& e : pre.lexicalErrors)
    for (const auto& range : reporter.skipped())
      if (range.afterShownError && e.file == range.from.file && !before(e, range.from) &&
          before(e, range.to))
        out.push_back(e);
  return out;
}

// How deeply grammar rules may nest in one parse: about 60 levels of parentheses, or 1000
// nested statements.  The parser, the AST builder, the printer and the passes all recurse
// over the structure of the script, so without a limit a deeply nested input (`((((...`,
// thousands of nested `if`s) overflows the stack; SystemTap's own parser has the same
// problem.  Real scripts stay far below: the deepest file of the corpus tests (the
// SystemTap examples and tapset library) nests between 250 and 350 levels, through
// macros (tapset python3.stp).
constexpr size_t kMaxRuleDepth = 1000;

// Thrown out of the parser when the limit is passed.  Not an ANTLR RecognitionException,
// so no rule catches it.
struct NestedTooDeeply {};

class DepthGuard : public antlr4::tree::ParseTreeListener {
 public:
  void enterEveryRule(antlr4::ParserRuleContext*) override {
    if (++depth_ > kMaxRuleDepth) throw NestedTooDeeply{};
  }
  void exitEveryRule(antlr4::ParserRuleContext*) override { --depth_; }
  void visitTerminal(antlr4::tree::TerminalNode*) override {}
  void visitErrorNode(antlr4::tree::ErrorNode*) override {}
  void reset() { depth_ = 0; }

 private:
  size_t depth_ = 0;
};

// `dropped`: diagnostics (at these locations) that are consequences of another one.
ast::Script* parse(const SourceFile& file, const ParseOptions& options, SourceManager& sources,
                   ast::AstContext& ctx, Diagnostics& diags, std::vector<SourceLocation>& dropped) {
  PreprocessedTokens pre = preprocess(file, options.preprocessor, sources, diags);
  bool empty = pre.tokens.size() == 1;  // only EOF
  antlr4::ListTokenSource source(std::move(pre.tokens));
  antlr4::CommonTokenStream stream(&source);
  StapParser parser(&stream);
  parser.removeErrorListeners();
  DepthGuard depth;
  parser.addParseListener(&depth);

  // Two-stage parse: the fast SLL mode with no error recovery first; only if that fails,
  // parse again in full LL mode with error reporting (the usual ANTLR recipe).
  StapParser::ScriptContext* tree = nullptr;
  SyntaxErrorReporter reporter(diags, &file);
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    try {
      tree = parser.script();
    } catch (antlr4::ParseCancellationException&) {
      stream.seek(0);
      parser.reset();
      depth.reset();
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
          antlr4::atn::PredictionMode::LL);
      reporter.attach(parser);
      tree = parser.script();
      parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
      dropped = lexicalErrorsInJunk(pre, reporter);
    }
  } catch (NestedTooDeeply&) {
    parser.removeParseListener(&depth);
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
    diags.error(tokenLocation(parser.getCurrentToken(), &file),
                "the script is nested too deeply here (more than " +
                    std::to_string(kMaxRuleDepth) + " levels of statements and expressions)");
    return nullptr;
  }
  parser.removeParseListener(&depth);
  if (reporter.reported() > 0 || !tree) return nullptr;

  BuildOptions build;
  build.guru = options.preprocessor.guru;
  ast::Script* script = buildAst(tree, file, ctx, diags, build);
  script->emptyAfterPreprocessing = empty && pre.hadTokensBeforePreprocessing;
  ctx.scripts.push_back(script);
  return script;
}

// Copies `from` into `to` in source order (the file's own diagnostics first, by line and
// column).  The preprocessor runs over the whole file before the parser starts, so without
// this its errors would all come before the first syntax error, wherever they are.
void appendInSourceOrder(const Diagnostics& from, const SourceFile& file,
                         const std::vector<SourceLocation>& dropped, Diagnostics& to) {
  std::vector<const Diagnostic*> order;
  for (const Diagnostic& d : from.all()) {
    bool drop = std::any_of(dropped.begin(), dropped.end(), [&](const SourceLocation& l) {
      return d.severity == Severity::Error && l.file == d.location.file &&
             l.line == d.location.line && l.column == d.location.column;
    });
    if (!drop) order.push_back(&d);
  }
  auto key = [&](const Diagnostic* d) {
    return std::make_tuple(d->location.file != &file, d->location.line, d->location.column);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const Diagnostic* a, const Diagnostic* b) { return key(a) < key(b); });
  for (const Diagnostic* d : order) {
    Diagnostic& copy = d->severity == Severity::Warning ? to.warning(d->location, d->message)
                                                        : to.error(d->location, d->message);
    copy.notes = d->notes;
  }
}

}  // namespace

ast::Script* parseFile(const SourceFile& file, const ParseOptions& options, SourceManager& sources,
                       ast::AstContext& ctx, Diagnostics& diags) {
  Diagnostics local;
  std::vector<SourceLocation> dropped;
  ast::Script* script = parse(file, options, sources, ctx, local, dropped);
  appendInSourceOrder(local, file, dropped, diags);
  return script;
}

}  // namespace stp2bpf::frontend
