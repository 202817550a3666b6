// Collected diagnostics: `file:line:col: error: message`, the source line, a caret and
// underline, then notes.  Nothing is thrown: passes record errors and the pass manager
// stops after the first pass that recorded one.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/source.h"

namespace stp2bpf {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLocation location;  // may be invalid for diagnostics about no particular place
  std::string message;
  std::vector<Diagnostic> notes;  // attached notes (severity Note)
};

class Diagnostics {
 public:
  Diagnostic& error(const SourceLocation& loc, std::string message);
  Diagnostic& warning(const SourceLocation& loc, std::string message);
  // Adds a note to a diagnostic returned by error()/warning().
  static void note(Diagnostic& to, const SourceLocation& loc, std::string message);

  const std::vector<Diagnostic>& all() const { return diagnostics_; }
  size_t errorCount() const { return errors_; }
  size_t warningCount() const { return warnings_; }
  bool hasErrors() const { return errors_ != 0; }
  void clear();

  // Writes every diagnostic (in the order recorded) in the format above.  Colour only when
  // `colour` is set (the caller decides, e.g. when stderr is a terminal).
  void print(std::ostream& out, bool colour = false) const;
  static void printOne(std::ostream& out, const Diagnostic& d, bool colour = false);

 private:
  std::vector<Diagnostic> diagnostics_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
};

}  // namespace stp2bpf
