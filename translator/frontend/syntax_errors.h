// Syntax errors in SystemTap terms.
//
// ANTLR's default messages ("mismatched input 'x' expecting {...}") name grammar tokens.
// This error strategy turns the same information into messages a SystemTap user reads:
// "expected ')' to close the probe point argument list started at 3:14", "expected an
// expression", "unexpected end of file: expected '}' to close the block started at 5:20".
// Errors go straight into Diagnostics; ANTLR's recovery continues so one file can report
// several errors.
#pragma once

#include <memory>
#include <vector>

#include "DefaultErrorStrategy.h"
#include "Parser.h"
#include "common/diagnostics.h"

namespace stp2bpf::frontend {

class SyntaxErrorReporter : public antlr4::DefaultErrorStrategy {
 public:
  SyntaxErrorReporter(Diagnostics& diags, const SourceFile* file) : diags_(diags), file_(file) {}

  // Installs this object as the parser's error strategy and silences the console listener.
  void attach(antlr4::Parser& parser);

  size_t reported() const { return reported_; }

 protected:
  void reportNoViableAlternative(antlr4::Parser* recognizer,
                                 const antlr4::NoViableAltException& e) override;
  void reportInputMismatch(antlr4::Parser* recognizer,
                           const antlr4::InputMismatchException& e) override;
  void reportFailedPredicate(antlr4::Parser* recognizer,
                             const antlr4::FailedPredicateException& e) override;
  void reportUnwantedToken(antlr4::Parser* recognizer) override;
  void reportMissingToken(antlr4::Parser* recognizer) override;
  // The token ANTLR pretends was there when it recovers by insertion.  Ours carries a
  // location (ANTLR's default needs a character stream our tokens do not have).
  antlr4::Token* getMissingSymbol(antlr4::Parser* recognizer) override;

 private:
  // "expected X[ to close Y started at L:C]" for the parser's current state.
  std::string expectation(antlr4::Parser* recognizer, const antlr4::misc::IntervalSet& expected,
                          antlr4::ParserRuleContext* ctx);
  void report(antlr4::Parser* recognizer, antlr4::Token* offending, std::string message,
              bool pointAfterPrevious);

  Diagnostics& diags_;
  const SourceFile* file_;
  size_t reported_ = 0;
  std::vector<std::unique_ptr<antlr4::Token>> conjured_;
};

}  // namespace stp2bpf::frontend
