#include "frontend/parser.h"

#include "BailErrorStrategy.h"
#include "CommonTokenStream.h"
#include "ListTokenSource.h"
#include "StapParser.h"
#include "atn/ParserATNSimulator.h"
#include "atn/PredictionMode.h"
#include "Exceptions.h"
#include "frontend/ast_builder.h"
#include "frontend/syntax_errors.h"

namespace stp2bpf::frontend {

using grammar::StapParser;

ast::Script* parseFile(const SourceFile& file, const ParseOptions& options, SourceManager& sources,
                       ast::AstContext& ctx, Diagnostics& diags) {
  PreprocessedTokens pre = preprocess(file, options.preprocessor, sources, diags);
  bool empty = pre.tokens.size() == 1;  // only EOF
  antlr4::ListTokenSource source(std::move(pre.tokens));
  antlr4::CommonTokenStream stream(&source);
  StapParser parser(&stream);
  parser.removeErrorListeners();

  // Two-stage parse: the fast SLL mode with no error recovery first; only if that fails,
  // parse again in full LL mode with error reporting (the usual ANTLR recipe).
  StapParser::ScriptContext* tree = nullptr;
  SyntaxErrorReporter reporter(diags, &file);
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    tree = parser.script();
  } catch (antlr4::ParseCancellationException&) {
    stream.seek(0);
    parser.reset();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::LL);
    reporter.attach(parser);
    tree = parser.script();
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
  }
  if (reporter.reported() > 0 || !tree) return nullptr;

  BuildOptions build;
  build.guru = options.preprocessor.guru;
  ast::Script* script = buildAst(tree, file, ctx, diags, build);
  script->emptyAfterPreprocessing = empty && pre.hadTokensBeforePreprocessing;
  ctx.scripts.push_back(script);
  return script;
}

}  // namespace stp2bpf::frontend
