// Syntax errors in SystemTap terms.
//
// ANTLR's default messages ("mismatched input 'x' expecting {...}") name grammar tokens.
// This error strategy turns the same information into messages a SystemTap user reads:
// "expected ')' to close the probe point argument list started at 3:14", "expected an
// expression after '+'", "unexpected end of file: expected '}' to close the block started
// at 5:20".  Errors go straight into Diagnostics.
//
// Like SystemTap's own parser, only the first syntax error of each top-level declaration
// is shown, and recovery skips to the next declaration: what ANTLR finds after an error in
// the same declaration is nearly always a consequence of it, not a new mistake.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "DefaultErrorStrategy.h"
#include "Parser.h"
#include "common/diagnostics.h"

namespace stp2bpf::frontend {

// What the left side of a preprocessor condition `%( left op right %?` can be; shared by
// the syntax error and the preprocessor's own "unknown condition" error.
inline constexpr const char* kConditionOperands =
    "arch, kernel_v, kernel_vr, systemtap_v, runtime, systemtap_privilege, guru_mode, "
    "CONFIG_..., or a comparison of two strings or two numbers";

class SyntaxErrorReporter : public antlr4::DefaultErrorStrategy {
 public:
  SyntaxErrorReporter(Diagnostics& diags, const SourceFile* file) : diags_(diags), file_(file) {}

  // Installs this object as the parser's error strategy and silences the console listener.
  void attach(antlr4::Parser& parser);

  // How messages name the parser's end-of-input token: "end of file" by default; a
  // preprocessor condition ends at its "'%?'".
  void setEndName(std::string name) { endName_ = std::move(name); }

  // Syntax errors found, including the ones not shown.
  size_t reported() const { return reported_; }

  // Text skipped by panic-mode recovery: from the first skipped token up to (not
  // including) the token where parsing resumed.
  struct SkippedRange {
    SourceLocation from;
    SourceLocation to;
    bool afterShownError;  // the error that led to the skip was shown, not suppressed
  };
  const std::vector<SkippedRange>& skipped() const { return skipped_; }

  // Panic-mode recovery: skips to the next declaration (see the file comment).
  void recover(antlr4::Parser* recognizer, std::exception_ptr e) override;
  // Between declarations, junk is skipped the same way.
  void sync(antlr4::Parser* recognizer) override;

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
  // How the message is phrased.
  enum class Style {
    Expected,        // "expected X": a token is missing before the offending one
    Unexpected,      // "unexpected T: expected X": the offending token is wrong
    UnexpectedOnly,  // "unexpected T": ANTLR's expected set is not for this position
  };
  void reportSyntaxError(antlr4::Parser* recognizer, antlr4::Token* offending,
                         const antlr4::misc::IntervalSet& expected, Style style);
  // "expected X[ to close Y started at L:C]" for the parser's current state.
  std::string expectation(antlr4::Parser* recognizer, const antlr4::misc::IntervalSet& expected,
                          antlr4::ParserRuleContext* ctx, antlr4::Token* offending,
                          antlr4::Token* previous);
  std::string unexpected(antlr4::Token* token) const;
  void report(antlr4::Parser* recognizer, antlr4::Token* offending, antlr4::Token* previous,
              std::string message, bool pointAfterPrevious);
  // Consumes tokens up to the next declaration that starts a line (or the end).
  void skipToDeclaration(antlr4::Parser* recognizer);

  Diagnostics& diags_;
  const SourceFile* file_;
  std::string endName_ = "end of file";
  size_t reported_ = 0;
  size_t shown_ = 0;
  bool lastErrorShown_ = false;
  // The declaration (its first token's index) whose first error has been handled.
  bool haveErrorDeclaration_ = false;
  long errorDeclaration_ = 0;
  std::vector<std::unique_ptr<antlr4::Token>> conjured_;
  std::vector<SkippedRange> skipped_;
};

}  // namespace stp2bpf::frontend
